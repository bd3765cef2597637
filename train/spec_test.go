package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/model"
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

// TestSpecFileGraph: a spec with branches and Add builds the graph it
// names, survives ToModel, the .ecnn encoding and FromModel exactly, and a
// training step runs on it.
func TestSpecFileGraph(t *testing.T) {
	n, err := FromSpecFile("testdata/residual-net.yaml", 16, 16, 3)
	require.NoError(t, err)
	require.False(t, n.isSequential())
	s := n.Summary()
	var names []string
	for _, l := range s.Layers {
		names = append(names, l.Name)
	}
	require.Equal(t, []string{"stem", "batch_normalization", "stem_relu", "conv2d", "re_lu", "depthwise_conv2d", "batch_normalization_1",
		"project", "add", "sep", "add_1", "global_average_pooling2d", "dense"}, names)
	require.Equal(t, []string{"stem_relu", "project"}, s.Layers[8].Inputs)
	require.Equal(t, []string{"add", "sep"}, s.Layers[10].Inputs)
	require.Empty(t, s.Layers[9].Inputs) // takes the layer before it
	// Hand-counted: stem 3*3*3*8, BN 4*8, conv 8*16, dw 3*3*16, BN 4*16,
	// project 16*8+8, sep 5*5*8 + 8*8 + 8, dense 8*3+3.
	require.Equal(t, 216+32+128+144+64+136+(200+64+8)+27, s.Total)
	require.Equal(t, 2*8+2*16, s.NonTrainable)

	x := randomInput(n, 4, 2)
	n.forward(x, 4, true, nil) // move the BN statistics
	m, err := n.ToModel([]string{"a", "b", "c"}, model.Preprocess{Height: 16, Width: 16, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255})
	require.NoError(t, err)
	require.Equal(t, []string{"stem_relu", "project"}, m.Layers[8].Inputs)
	require.Nil(t, m.Layers[9].Inputs)
	require.Equal(t, []string{"sep/depthwise_kernel", "sep/pointwise_kernel", "sep/bias"}, m.Layers[9].Weights)
	require.Equal(t, []string{"stem/kernel"}, m.Layers[0].Weights)
	require.ErrorContains(t, m.RequireSequential("the runtime"), "Sequential models only")
	b, err := model.Encode(m)
	require.NoError(t, err)
	m2, err := model.Decode(b)
	require.NoError(t, err)
	back, err := FromModel(m2)
	require.NoError(t, err)
	require.Equal(t, n.Predict(x, 4), back.Predict(x, 4))
	require.Equal(t, s, back.Summary())

	opt, err := newOptimizer(Optimizer{Name: "adam", LearningRate: 1e-3}, n.params())
	require.NoError(t, err)
	loss0, _ := n.trainStep(opt, SparseCategoricalCrossentropy, x, []int32{0, 1, 2, 0})
	for range 20 {
		n.trainStep(opt, SparseCategoricalCrossentropy, x, []int32{0, 1, 2, 0})
	}
	loss1, _ := n.trainStep(opt, SparseCategoricalCrossentropy, x, []int32{0, 1, 2, 0})
	require.Less(t, loss1, loss0, "training on one batch lowers its loss")
}

func TestSpecFileGraphErrors(t *testing.T) {
	dir := t.TempDir()
	head := "  - {type: GlobalAveragePooling2D}\n  - {type: Dense, units: 1, activation: sigmoid}\n"
	cases := []struct{ name, text, want string }{
		{"unknown-input.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: a}\n  - {type: Add, inputs: [a, b]}\n" + head, `input "b" is not a layer`},
		{"later-input.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1, inputs: b}\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: b}\n" + head, `input "b" comes after it`},
		{"add-shapes.yaml", "layers:\n  - {type: Conv2D, filters: 4, kernel_size: 1, name: a}\n  - {type: Add, inputs: [input, a]}\n" + head, "add-shapes.yaml:3: layer 2 (add, Add): input a is [32 32 4], input input [32 32 3]"},
		{"add-one.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1}\n  - {type: Add}\n" + head, "add-one.yaml:3: layer 2 (add): Add takes at least 2 inputs, has 1 inputs"},
		{"two-inputs.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: a}\n  - {type: Conv2D, filters: 3, kernel_size: 1, inputs: [a, input]}\n" + head, "two-inputs.yaml:3: layer 2 (conv2d): Conv2D takes 1 input, has 2 inputs"},
		{"unused.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: a}\n  - {type: Conv2D, filters: 3, kernel_size: 1, inputs: input}\n" + head, "unused.yaml:2: layer 1 (a): its output is not used"},
		{"duplicate.yaml", "layers:\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: a}\n  - {type: Conv2D, filters: 3, kernel_size: 1, name: a, inputs: a}\n" + head, `two layers are named "a"`},
		{"depth-multiplier.yaml", "layers:\n  - {type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2}\n" + head, "depth-multiplier.yaml:2: layer 1: depth_multiplier 2 is not supported"},
		{"relu-field.yaml", "layers:\n  - {type: ReLU, units: 3}\n" + head, `relu-field.yaml:2: layer 1: line 2: ReLU has no field "units" (fields: name, inputs, max_value)`},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		_, err := FromSpecFile(path, 32, 32, 3)
		require.Error(t, err, c.name)
		require.Contains(t, err.Error(), c.want, c.name)
		require.Contains(t, err.Error(), path, c.name)
	}
}

// TestFromModelFormat1 loads the Sequential model a format 1 file (written
// by main before graphs) holds.
func TestFromModelFormat1(t *testing.T) {
	m, err := model.Load("../model/testdata/v1-sequential.ecnn")
	require.NoError(t, err)
	n, err := FromModel(m)
	require.NoError(t, err)
	require.True(t, n.isSequential())
	x := randomInput(n, 2, 3)
	p := n.Predict(x, 2)
	require.Len(t, p, 2)
	for _, v := range p {
		require.True(t, v > 0 && v < 1, "sigmoid output %g", v)
	}
	back, err := n.ToModel(m.Labels, m.Input)
	require.NoError(t, err)
	require.Equal(t, m.Layers, back.Layers)
}
