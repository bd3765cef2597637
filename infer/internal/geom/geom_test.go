package geom

import (
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// TestAxis checks output sizes and padding against TensorFlow's rules,
// worked by hand: 'same' gives ceil(n/s) outputs and puts the odd padding
// element after the input.
func TestAxis(t *testing.T) {
	for _, c := range []struct {
		n, k, s     int
		padding     string
		out, before int
	}{
		{5, 3, 1, model.Same, 5, 1},
		{5, 3, 2, model.Same, 3, 1},  // total (3-1)*2+3-5 = 2
		{6, 3, 2, model.Same, 3, 0},  // total 1: nothing before
		{4, 2, 2, model.Same, 2, 0},  // total 0
		{1, 5, 1, model.Same, 1, 2},  // kernel larger than input: total 4
		{3, 7, 2, model.Same, 2, 3},  // total (2-1)*2+7-3 = 6
		{5, 3, 2, model.Valid, 2, 0}, // (5-3)/2+1
		{7, 2, 2, "", 3, 0},          // '' is Keras's default, valid
		{3, 3, 1, model.Valid, 1, 0},
	} {
		out, before, err := Axis(c.n, c.k, c.s, c.padding)
		require.NoError(t, err, "%+v", c)
		require.Equal(t, [2]int{c.out, c.before}, [2]int{out, before}, "%+v", c)
	}
	_, _, err := Axis(2, 3, 1, model.Valid)
	require.ErrorContains(t, err, "larger than the input")
	_, _, err = Axis(4, 3, 1, "full")
	require.ErrorContains(t, err, "unknown padding")
	_, _, err = Axis(4, 0, 1, model.Same)
	require.Error(t, err)
}

// TestOutputShape covers the Keras defaults (pool strides = pool size,
// conv strides 1) and the errors.
func TestOutputShape(t *testing.T) {
	pool := model.Layer{Type: model.MaxPool2D}
	out, err := OutputShape(&pool, []int{9, 8, 5})
	require.NoError(t, err)
	require.Equal(t, []int{4, 4, 5}, out)
	conv := model.Layer{Type: model.Conv2D, Filters: 7, KernelSize: [2]int{3, 1}, Padding: model.Same}
	out, err = OutputShape(&conv, []int{9, 8, 5})
	require.NoError(t, err)
	require.Equal(t, []int{9, 8, 7}, out)
	flat := model.Layer{Type: model.Flatten}
	out, err = OutputShape(&flat, []int{2, 3, 4})
	require.NoError(t, err)
	require.Equal(t, []int{24}, out)
	gap := model.Layer{Type: model.GlobalAveragePooling2D}
	out, err = OutputShape(&gap, []int{2, 3, 4})
	require.NoError(t, err)
	require.Equal(t, []int{4}, out)
	dense := model.Layer{Type: model.Dense, Units: 3}
	_, err = OutputShape(&dense, []int{2, 3, 4})
	require.ErrorContains(t, err, "flat input")
	_, err = OutputShape(&conv, []int{24})
	require.ErrorContains(t, err, "HxWxC")
	_, err = OutputShape(&model.Layer{Type: "LSTM"}, []int{24})
	require.ErrorContains(t, err, "unsupported")
	huge := model.Layer{Type: model.Conv2D, Filters: 1 << 20, KernelSize: [2]int{1, 1}}
	_, err = OutputShape(&huge, []int{1 << 10, 1 << 10, 1})
	require.ErrorContains(t, err, "too large")
}
