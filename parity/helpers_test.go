package parity

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// bnModel is 8x8x3 -> Conv2D(4, 3x3, same, linear) -> BN ->
// MaxPool2D -> Dropout -> Flatten -> Dense(1, sigmoid), random weights.
func bnModel() *model.Model {
	m := testmodels.New("parity-test", 8, 8, []model.Layer{
		{Name: "conv2d", Type: model.Conv2D, Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: model.Same,
			Activation: model.Linear, OutputShape: []int{8, 8, 4}, Weights: []string{"conv2d/kernel", "conv2d/bias"}},
		{Name: "batch_normalization", Type: model.BatchNormalization, Epsilon: 1e-3, OutputShape: []int{8, 8, 4},
			Weights: []string{"bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"}},
		{Name: "max_pooling2d", Type: model.MaxPool2D, PoolSize: [2]int{2, 2}, Strides: [2]int{2, 2}, Padding: model.Valid, OutputShape: []int{4, 4, 4}},
		{Name: "dropout", Type: model.Dropout, Rate: 0.2, OutputShape: []int{4, 4, 4}},
		{Name: "flatten", Type: model.Flatten, OutputShape: []int{64}},
		{Name: "dense", Type: model.Dense, Units: 1, Activation: model.Sigmoid, OutputShape: []int{1}, Weights: []string{"dense/kernel", "dense/bias"}},
	})
	r := rand.New(rand.NewPCG(11, 11))
	testmodels.AddUniform(m, r, "conv2d/kernel", -0.5, 0.5, 3, 3, 3, 4)
	testmodels.AddUniform(m, r, "conv2d/bias", -0.1, 0.1, 4)
	testmodels.AddBatchNorm(m, r, "bn", 4)
	testmodels.AddUniform(m, r, "dense/kernel", -0.5, 0.5, 64, 1)
	testmodels.AddUniform(m, r, "dense/bias", -0.1, 0.1, 1)
	return m
}

// smoothImages makes n 8x8 images of random smooth gradients, labelled by
// the float model so both classes occur.
func smoothImages(n int, seed uint64) *dataset.Dataset {
	r := rand.New(rand.NewPCG(seed, 12))
	d := &dataset.Dataset{Dir: "synthetic", ClassNames: []string{"Car", "Truck"}, Height: 8, Width: 8}
	for i := range n {
		var base, dx, dy [3]float64
		for c := range 3 {
			base[c], dx[c], dy[c] = 255*r.Float64(), 30*(r.Float64()-0.5), 30*(r.Float64()-0.5)
		}
		for y := range 8 {
			for x := range 8 {
				for c := range 3 {
					v := base[c] + dx[c]*float64(x) + dy[c]*float64(y) + 20*r.NormFloat64()
					d.Pixels = append(d.Pixels, uint8(max(0, min(255, v))))
				}
			}
		}
		d.Labels = append(d.Labels, int32(i%2))
		d.Files = append(d.Files, "img")
	}
	return d
}

// quantized calibrates m on ds (min/max) and quantises it.
func quantized(t *testing.T, m *model.Model, ds *dataset.Dataset) *model.Model {
	net, err := train.FromModel(m)
	require.NoError(t, err)
	tab, err := calib.Calibrate(net, m, ds, calib.Options{Method: calib.MinMax, Warn: func(string) {}})
	require.NoError(t, err)
	q, _, err := quantize.Quantize(m, tab, quantize.Options{})
	require.NoError(t, err)
	return q
}
