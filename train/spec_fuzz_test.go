package train

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// maxFuzzSize bounds the numbers in a fuzzed spec: FromSpecFile builds and
// initialises the model, and a layer within the size limits (limits.go)
// may still take hundreds of MiB, too much for thousands of runs. Absurd
// sizes have their own test (TestSpecFileErrors).
const maxFuzzSize = 64

// FuzzFromSpecFile mutates the repository's YAML and JSON spec files:
// FromSpecFile must fail with an error naming the file or build a model
// whose loss is known, never panic.
func FuzzFromSpecFile(f *testing.F) {
	for _, name := range []string{"small-net.yaml", "seed-exercise.json", "cifar-small.yaml", "residual-net.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("layers:\n  - {type: dense, units: 3, activation: softmax, rate: 1}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if hasLargeNumber(b) {
			t.Skip("numbers above maxFuzzSize would allocate too much")
		}
		path := filepath.Join(t.TempDir(), "net.yaml")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		n, err := FromSpecFile(path, 8, 8, 3)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), path), "error does not name the file: %v", err)
			require.Greater(t, len(err.Error()), len(path)+2, "error says nothing: %v", err)
			return
		}
		_, _, err = n.Loss()
		require.NoError(t, err)
		require.NotEmpty(t, n.Summary().Layers)
	})
}

// hasLargeNumber reports whether any scalar of the YAML document is a
// number above maxFuzzSize.
func hasLargeNumber(b []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil {
		return false
	}
	var walk func(*yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode {
			x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err == nil && (x > maxFuzzSize || x < -maxFuzzSize) {
				return true
			}
			var i int64
			return n.Decode(&i) == nil && (i > maxFuzzSize || i < -maxFuzzSize)
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&doc)
}
