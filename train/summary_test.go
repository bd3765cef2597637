package train

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSummarySeedTutorial checks the parameter counts Keras reports for the
// course model at 128x128x3.
func TestSummarySeedTutorial(t *testing.T) {
	n, err := Preset("seed-tutorial", 128, 128, 3, 2)
	require.NoError(t, err)
	s := n.Summary()
	var counts []int
	for _, l := range s.Layers {
		counts = append(counts, l.Params)
	}
	require.Equal(t, []int{2432, 0, 18496, 0, 73856, 0, 0, 196614, 7}, counts)
	require.Equal(t, 291405, s.Total)
	require.Equal(t, 291405, s.Trainable)
	require.Equal(t, 0, s.NonTrainable)
	require.Equal(t, []int{16, 16, 128}, s.Layers[5].OutputShape)
	require.Equal(t, []int{32768}, s.Layers[6].OutputShape)

	var b bytes.Buffer
	_, err = s.WriteTo(&b)
	require.NoError(t, err)
	require.Contains(t, b.String(), "Total params: 291,405")
	require.Contains(t, b.String(), "conv2d_1 (Conv2D)")
	require.Contains(t, b.String(), "(None, 64, 64, 32)")
}

// TestPresetMultiClassHead checks the softmax head for more than two classes.
func TestPresetMultiClassHead(t *testing.T) {
	n, err := Preset("seed-exercise", 32, 32, 3, 10)
	require.NoError(t, err)
	loss, metric, err := n.Loss()
	require.NoError(t, err)
	require.Equal(t, SparseCategoricalCrossentropy, loss)
	require.Equal(t, "accuracy", metric)
	require.Equal(t, 10, n.Outputs())
	_, err = Preset("nope", 32, 32, 3, 2)
	require.ErrorContains(t, err, "unknown architecture")
}
