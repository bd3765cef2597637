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
