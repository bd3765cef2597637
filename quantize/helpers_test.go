package quantize

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
)

// testModel is input 6x6x3 -> Conv2D(4, 3x3, same, linear) -> BN ->
// MaxPool2D -> Dropout -> Flatten -> Dense(5, relu) -> Dense(2, softmax),
// random weights.
func testModel(seed uint64) *model.Model {
	m := testmodels.New("test", 6, 6, []model.Layer{
		{Name: "conv2d", Type: model.Conv2D, Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: model.Same,
			Activation: model.Linear, OutputShape: []int{6, 6, 4}, Weights: []string{"conv2d/kernel", "conv2d/bias"}},
		{Name: "bn", Type: model.BatchNormalization, Epsilon: 1e-3, OutputShape: []int{6, 6, 4},
			Weights: []string{"bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"}},
		{Name: "pool", Type: model.MaxPool2D, PoolSize: [2]int{2, 2}, Strides: [2]int{2, 2}, Padding: model.Valid, OutputShape: []int{3, 3, 4}},
		{Name: "dropout", Type: model.Dropout, Rate: 0.2, OutputShape: []int{3, 3, 4}},
		{Name: "flatten", Type: model.Flatten, OutputShape: []int{36}},
		{Name: "dense", Type: model.Dense, Units: 5, Activation: model.ReLU, OutputShape: []int{5}, Weights: []string{"dense/kernel", "dense/bias"}},
		{Name: "head", Type: model.Dense, Units: 2, Activation: model.Softmax, OutputShape: []int{2}, Weights: []string{"head/kernel", "head/bias"}},
	})
	r := rand.New(rand.NewPCG(seed, 2))
	testmodels.AddUniform(m, r, "conv2d/kernel", -0.5, 0.5, 3, 3, 3, 4)
	testmodels.AddUniform(m, r, "conv2d/bias", -0.1, 0.1, 4)
	testmodels.AddBatchNorm(m, r, "bn", 4)
	testmodels.AddUniform(m, r, "dense/kernel", -0.3, 0.3, 36, 5)
	testmodels.AddUniform(m, r, "dense/bias", -0.1, 0.1, 5)
	testmodels.AddUniform(m, r, "head/kernel", -1, 1, 5, 2)
	testmodels.AddUniform(m, r, "head/bias", -0.1, 0.1, 2)
	return m
}

// testTable is a hand-made table for testModel: the input's canonical
// parameters, ranges wide enough for random weights.
func testTable(m *model.Model) *calib.Table {
	return &calib.Table{Model: m.Name, ModelHash: calib.ModelHash(m), Method: calib.MinMax, Samples: 1,
		Entries: []calib.Entry{calib.NewEntry(calib.InputName, 0, 1), calib.NewEntry("conv2d", -3, 3),
			calib.NewEntry("bn", -3, 4), calib.NewEntry("pool", -3, 4), calib.NewEntry("dense", 0, 5),
			calib.NewEntry("head", -6, 5)}}
}

// firstFloatLayer plans m and loads its first step, the conv with the
// batch normalisation folded in, as float rows.
func firstFloatLayer(t *testing.T, m *model.Model) *floatLayer {
	t.Helper()
	steps, err := Plan(m)
	require.NoError(t, err)
	f, err := loadFloatLayer(m, steps[0], 3)
	require.NoError(t, err)
	return f
}

// tensor returns a float tensor of m, panicking on a fixture mistake.
func tensor(m *model.Model, name string) []float32 {
	t, err := m.Tensor(name)
	if err != nil {
		panic(err)
	}
	v, err := t.Float32s()
	if err != nil {
		panic(err)
	}
	return v
}

// refConv is a direct Conv2D (stride 1, 'same', zero padding) with an HWIO
// kernel, written independently of the package's [OC][K] layout.
func refConv(x []float64, h, w, c int, kernel, bias []float32, kh, kw, oc int) []float64 {
	out := make([]float64, h*w*oc)
	for y := range h {
		for xx := range w {
			for o := range oc {
				s := float64(bias[o])
				for ky := range kh {
					for kx := range kw {
						iy, ix := y+ky-kh/2, xx+kx-kw/2
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						for i := range c {
							s += x[(iy*w+ix)*c+i] * float64(kernel[((ky*kw+kx)*c+i)*oc+o])
						}
					}
				}
				out[(y*w+xx)*oc+o] = s
			}
		}
	}
	return out
}

// refBatchNorm applies inference-time batch normalisation in place.
func refBatchNorm(x []float64, gamma, beta, mean, variance []float32, eps float64) {
	c := len(gamma)
	for i := range x {
		k := i % c
		x[i] = float64(gamma[k])*(x[i]-float64(mean[k]))/math.Sqrt(float64(variance[k])+eps) + float64(beta[k])
	}
}

// foldedConv runs a layer given as [OC][K] rows (HWC patches, 'same', zero
// padding, stride 1).
func foldedConv(x []float64, h, w, c int, f *floatLayer, kh, kw int) []float64 {
	out := make([]float64, h*w*f.oc)
	patch := make([]float64, f.k)
	for y := range h {
		for xx := range w {
			n := 0
			for ky := range kh {
				for kx := range kw {
					iy, ix := y+ky-kh/2, xx+kx-kw/2
					for i := range c {
						patch[n] = 0
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							patch[n] = x[(iy*w+ix)*c+i]
						}
						n++
					}
				}
			}
			for o := range f.oc {
				s := f.bias[o]
				for k, v := range patch {
					s += f.w[o*f.k+k] * v
				}
				out[(y*w+xx)*f.oc+o] = s
			}
		}
	}
	return out
}
