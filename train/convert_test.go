package train

import (
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

var pre32 = model.Preprocess{Height: 32, Width: 32, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255}

func randomInput(n *Sequential, batch int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, batch*n.InputSize())
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// TestModelRoundTrip: ToModel, the .ecnn encoding and FromModel keep the
// network's function exactly (BatchNormalization's moving statistics too).
func TestModelRoundTrip(t *testing.T) {
	net, err := FromSpecFile("testdata/small-net.yaml", 32, 32, 3)
	require.NoError(t, err)
	require.NoError(t, net.Init(3))
	// Move the BN statistics away from their defaults with a training pass.
	x := randomInput(net, 4, 1)
	net.forward(x, 4, true, nil)

	m, err := net.ToModel([]string{"Car", "Truck"}, pre32)
	require.NoError(t, err)
	require.Equal(t, BinaryCrossentropy, m.Loss)
	require.Equal(t, []string{"conv2d/kernel", "conv2d/bias"}, m.Layers[0].Weights)
	require.Equal(t, []string{"batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean", "batch_normalization/moving_variance"}, m.Layers[1].Weights)
	k, err := m.Tensor("conv2d/kernel")
	require.NoError(t, err)
	require.Equal(t, []int{3, 3, 3, 16}, k.Shape) // HWIO
	require.Equal(t, []int{7, 7, 32}, m.Layers[3].OutputShape)

	back := reloaded(t, m)
	require.Equal(t, net.Predict(x, 4), back.Predict(x, 4))
	require.Equal(t, net.Summary(), back.Summary())
}

// reloaded encodes m, decodes it and builds its network.
func reloaded(t *testing.T, m *model.Model) *Sequential {
	t.Helper()
	b, err := model.Encode(m)
	require.NoError(t, err)
	m2, err := model.Decode(b)
	require.NoError(t, err)
	back, err := FromModel(m2)
	require.NoError(t, err)
	return back
}

// TestFromModelFloat16 loads a float16 model: outputs agree to float16
// precision.
func TestFromModelFloat16(t *testing.T) {
	net, err := Preset("seed-exercise", 32, 32, 3, 2)
	require.NoError(t, err)
	m, err := net.ToModel([]string{"a", "b"}, pre32)
	require.NoError(t, err)
	m.DType = model.Float16
	for i, tn := range m.Tensors {
		v, err := tn.Float32s()
		require.NoError(t, err)
		m.Tensors[i] = model.NewFloat16(tn.Name, tn.Shape, v)
	}
	half, err := FromModel(m)
	require.NoError(t, err)
	x := randomInput(net, 3, 2)
	want, got := net.Predict(x, 3), half.Predict(x, 3)
	for i := range want {
		require.InDelta(t, want[i], got[i], 1e-2)
	}
}

func TestFromModelErrors(t *testing.T) {
	net, err := Preset("seed-tutorial", 32, 32, 3, 2)
	require.NoError(t, err)
	m, err := net.ToModel([]string{"a", "b"}, pre32)
	require.NoError(t, err)

	m.DType = model.Int8
	_, err = FromModel(m)
	require.ErrorContains(t, err, "int8 models cannot")
	m.DType = model.Float32

	m.Layers[0].OutputShape = []int{16, 16, 32}
	_, err = FromModel(m)
	require.ErrorContains(t, err, "output shape [32 32 32] computed, [16 16 32] stored")
	m.Layers[0].OutputShape = []int{32, 32, 32}

	k, _ := m.Tensor("conv2d/kernel")
	k.Shape = []int{5, 5, 3, 16}
	_, err = FromModel(m)
	require.ErrorContains(t, err, `tensor "conv2d/kernel" has shape [5 5 3 16], want [5 5 3 32]`)

	_, err = net.ToModel([]string{"a", "b"}, model.Preprocess{Height: 64, Width: 64, Channels: 3})
	require.ErrorContains(t, err, "does not match")
}

// TestForwardCollect: one call per layer, in order, with the layer's output
// size; the last equals Predict.
func TestForwardCollect(t *testing.T) {
	net, err := Preset("seed-exercise", 32, 32, 3, 2)
	require.NoError(t, err)
	x := randomInput(net, 2, 3)
	var layers []int
	var last []float32
	sizes := []int{32 * 32 * 32, 16 * 16 * 32, 16 * 16 * 64, 8 * 8 * 64, 8 * 8 * 128, 8 * 8 * 128, 4 * 4 * 128, 2048, 6, 6, 1}
	net.ForwardCollect(x, 2, func(l int, out []float32) {
		layers = append(layers, l)
		require.Len(t, out, 2*sizes[l], "layer %d", l)
		last = append(last[:0], out...)
	})
	require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, layers)
	require.Equal(t, net.Predict(x, 2), last)
	for _, p := range last {
		require.True(t, p > 0 && p < 1)
	}
}
