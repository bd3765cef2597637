package infer_test

import (
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
	"github.com/stretchr/testify/require"
)

// TestFloatRuntimeMatchesTrainPredict runs the presets, randomly
// initialised, through train's Sequential.Predict and through the float
// runtime: the probabilities must agree to float tolerance. (An external
// test: the infer package itself never imports train.)
func TestFloatRuntimeMatchesTrainPredict(t *testing.T) {
	const size, images = 32, 4
	rng := rand.New(rand.NewPCG(3, 3))
	for _, c := range []struct {
		arch    string
		classes int
	}{{"seed-tutorial", 2}, {"seed-exercise", 2}, {"seed-tutorial", 3}} {
		net, err := train.Preset(c.arch, size, size, 3, c.classes)
		require.NoError(t, err)
		require.NoError(t, net.Init(7))
		labels := []string{"a", "b", "c"}[:c.classes]
		pre := model.Preprocess{Height: size, Width: size, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255}
		m, err := net.ToModel(labels, pre)
		require.NoError(t, err)
		r, err := infer.Load(m, infer.Options{Threads: 2})
		require.NoError(t, err)

		pixels := make([]byte, images*size*size*3)
		x := make([]float32, len(pixels))
		for i := range pixels {
			pixels[i] = byte(rng.UintN(256))
			x[i] = float32(pixels[i]) / 255
		}
		want := net.Predict(x, images)
		outs := len(want) / images
		for i := range images {
			res, err := r.Run(pixels[i*size*size*3 : (i+1)*size*size*3])
			require.NoError(t, err)
			if outs == 1 {
				require.InDelta(t, want[i], res.Probabilities[1], 1e-5, "%s image %d", c.arch, i)
				continue
			}
			for j := range outs {
				require.InDelta(t, want[i*outs+j], res.Probabilities[j], 1e-5, "%s image %d class %d", c.arch, i, j)
			}
		}
		r.Close()
	}
}

// TestFloatRuntimeRunsMobileNets runs randomly initialised MobileNets (BN
// statistics redrawn so they matter) through train's Predict and through the
// float runtime: DepthwiseConv2D, BatchNormalization, ReLU6 layers, Add and
// global pooling in a graph must give the same probabilities.
func TestFloatRuntimeRunsMobileNets(t *testing.T) {
	const size, images = 32, 3
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range []struct {
		arch    string
		alpha   float64
		classes int
	}{{"mobilenet-v2", 0.35, 2}, {"mobilenet-v1", 0.25, 3}} {
		m, err := testmodels.Preset(c.arch, c.alpha, size, c.classes, 5)
		require.NoError(t, err)
		net, err := train.FromModel(m)
		require.NoError(t, err)
		r, err := infer.Load(m, infer.Options{Threads: 2})
		require.NoError(t, err)
		pixels := make([]byte, images*size*size*3)
		x := make([]float32, len(pixels))
		for i := range pixels {
			pixels[i] = byte(rng.UintN(256))
			x[i] = float32(pixels[i]) / 255
		}
		want := net.Predict(x, images)
		t.Logf("%s: train's probabilities %v", c.arch, want)
		for i := range images {
			res, err := r.Run(pixels[i*size*size*3 : (i+1)*size*size*3])
			require.NoError(t, err)
			for j := range c.classes {
				require.InDelta(t, want[i*c.classes+j], res.Probabilities[j], 1e-4, "%s image %d class %d", c.arch, i, j)
			}
		}
		r.Close()
		net.Close()
	}
}

// TestFloatRuntimeRunsSeparable runs a SeparableConv2D graph (stride 2 and
// 1, with and without bias, ReLU6 activation) through train's Predict and
// the float runtime.
func TestFloatRuntimeRunsSeparable(t *testing.T) {
	const size = 16
	m := testmodels.New("separable", size, size, []model.Layer{
		{Name: "sep1", Type: model.SeparableConv2D, Filters: 8, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: model.Same, DepthMultiplier: 1,
			Activation: model.ReLU6, OutputShape: []int{8, 8, 8}, Weights: []string{"sep1/depthwise_kernel", "sep1/pointwise_kernel", "sep1/bias"}},
		{Name: "sep2", Type: model.SeparableConv2D, Filters: 6, KernelSize: [2]int{5, 5}, Strides: [2]int{1, 1}, Padding: model.Same, DepthMultiplier: 1, NoBias: true,
			Activation: model.ReLU, OutputShape: []int{8, 8, 6}, Weights: []string{"sep2/depthwise_kernel", "sep2/pointwise_kernel"}},
		{Name: "gap", Type: model.GlobalAveragePooling2D, OutputShape: []int{6}},
		{Name: "dense", Type: model.Dense, Units: 2, Activation: model.Softmax, OutputShape: []int{2}, Weights: []string{"dense/kernel", "dense/bias"}},
	})
	r := rand.New(rand.NewPCG(8, 8))
	testmodels.AddUniform(m, r, "sep1/depthwise_kernel", -1, 1, 3, 3, 3, 1)
	testmodels.AddUniform(m, r, "sep1/pointwise_kernel", -1, 1, 1, 1, 3, 8)
	testmodels.AddUniform(m, r, "sep1/bias", -0.2, 0.2, 8)
	testmodels.AddUniform(m, r, "sep2/depthwise_kernel", -1, 1, 5, 5, 8, 1)
	testmodels.AddUniform(m, r, "sep2/pointwise_kernel", -1, 1, 1, 1, 8, 6)
	testmodels.AddUniform(m, r, "dense/kernel", -1, 1, 6, 2)
	testmodels.AddUniform(m, r, "dense/bias", -0.2, 0.2, 2)
	net, err := train.FromModel(m)
	require.NoError(t, err)
	defer net.Close()
	rt, err := infer.Load(m, infer.Options{Threads: 2})
	require.NoError(t, err)
	defer rt.Close()
	pixels := testmodels.SmoothImages(r, 1, size, size)
	x := make([]float32, len(pixels))
	for i, p := range pixels {
		x[i] = float32(p) / 255
	}
	want := net.Predict(x, 1)
	res, err := rt.Run(pixels)
	require.NoError(t, err)
	t.Logf("probabilities %v", want)
	for j, p := range want {
		require.InDelta(t, p, res.Probabilities[j], 1e-5, "class %d", j)
	}
}
