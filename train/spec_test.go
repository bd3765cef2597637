package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpecFileYAML(t *testing.T) {
	n, err := FromSpecFile("testdata/small-net.yaml", 32, 32, 3)
	require.NoError(t, err)
	s := n.Summary()
	require.Equal(t, "small-net", s.Name)
	var shapes [][]int
	var params []int
	for _, l := range s.Layers {
		shapes = append(shapes, l.OutputShape)
		params = append(params, l.Params)
	}
	require.Equal(t, [][]int{{32, 32, 16}, {32, 32, 16}, {16, 16, 16}, {7, 7, 32}, {3, 3, 32}, {32}, {32}, {1}}, shapes)
	require.Equal(t, []int{448, 64, 0, 4640, 0, 0, 0, 33}, params)
	require.Equal(t, 32, s.NonTrainable) // BN moving mean and variance
}

// TestSpecFileJSONMatchesPreset: the JSON spelling of seed-exercise builds
// the preset's network.
func TestSpecFileJSONMatchesPreset(t *testing.T) {
	n, err := FromSpecFile("testdata/seed-exercise.json", 32, 32, 3)
	require.NoError(t, err)
	p, err := Preset("seed-exercise", 32, 32, 3, 2)
	require.NoError(t, err)
	require.Equal(t, p.fingerprint(), n.fingerprint())
	require.Equal(t, p.Summary().Layers, n.Summary().Layers)
}

func TestSpecFileErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, text, want string }{
		{"unknown-field.yaml", "layers:\n  - type: Conv2D\n    filter: 3\n    kernel_size: 3\n", `unknown-field.yaml:2: layer 1: line 3: Conv2D has no field "filter"`},
		{"unknown-type.yaml", "layers:\n  - type: Conv3D\n", `unknown-type.yaml:2: layer 1: unknown type "Conv3D"`},
		{"no-kernel.yaml", "layers:\n  - type: Conv2D\n    filters: 4\n", "no-kernel.yaml:2: layer 1: Conv2D needs kernel_size"},
		{"dense-on-image.yaml", "layers:\n  - {type: Conv2D, filters: 4, kernel_size: 3}\n  - {type: Dense, units: 1, activation: sigmoid}\n", "dense-on-image.yaml:3: layer 2 (dense, Dense) on input [30 30 4]: needs a vector input"},
		{"bad-head.yaml", "layers:\n  - {type: Flatten}\n  - {type: Dense, units: 3, activation: relu}\n", "bad-head.yaml:3: the last layer (dense) must be Dense(1, sigmoid)"},
		{"bad-activation.yaml", "layers:\n  - {type: Flatten}\n  - {type: Dense, units: 1, activation: tanh}\n", `bad-activation.yaml:3: layer 2: unknown activation "tanh"`},
		{"bad-size.yaml", "layers:\n  - {type: MaxPool2D, pool_size: [1, 2, 3]}\n", "bad-size.yaml:2: layer 1: line 2: want a number or [height, width]"},
		{"big-window.yaml", "layers:\n  - {type: Conv2D, filters: 2, kernel_size: 40}\n", "big-window.yaml:2: layer 1 (conv2d, Conv2D) on input [32 32 3]: window 40 is larger than the input 32"},
		{"top-level.yaml", "name: x\nlayer: []\n", "top-level.yaml: line 2: field layer not found"},
		{"syntax.json", "{\"layers\": [\n{\"type\": \"Dense\",, }]}\n", "syntax.json:"},
		{"empty.yaml", "name: x\n", "empty.yaml: no layers"},
		{"huge-conv.yaml", "layers:\n  - {type: Conv2D, filters: 1000000000, kernel_size: 3}\n", "huge-conv.yaml:2: layer 1 (conv2d, Conv2D) on input [32 32 3]: kernel of shape [3 3 3 1000000000] is larger than the limit"},
		{"huge-dense.yaml", "layers:\n  - {type: Flatten}\n  - {type: Dense, units: 100000000, activation: relu}\n  - {type: Dense, units: 1, activation: sigmoid}\n", "huge-dense.yaml:3: layer 2 (dense, Dense) on input [3072]: kernel of shape [3072 100000000] is larger than the limit"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		_, err := FromSpecFile(path, 32, 32, 3)
		require.Error(t, err, c.name)
		require.Contains(t, err.Error(), filepath.Join(dir, c.want), c.name)
	}
	_, err := FromSpecFile(filepath.Join(dir, "missing.yaml"), 32, 32, 3)
	require.ErrorContains(t, err, "missing.yaml")
}
