package calib

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// convModel is 4x4x3 -> Conv2D(2, 3x3, same, relu) -> Flatten -> Dense(1, sigmoid).
func convModel() *model.Model {
	m := testmodels.New("calib-test", 4, 4, []model.Layer{
		{Name: "conv2d", Type: model.Conv2D, Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: model.Same,
			Activation: model.ReLU, OutputShape: []int{4, 4, 2}, Weights: []string{"conv2d/kernel", "conv2d/bias"}},
		{Name: "flatten", Type: model.Flatten, OutputShape: []int{32}},
		{Name: "dense", Type: model.Dense, Units: 1, Activation: model.Sigmoid, OutputShape: []int{1}, Weights: []string{"dense/kernel", "dense/bias"}},
	})
	r := rand.New(rand.NewPCG(9, 9))
	testmodels.AddUniform(m, r, "conv2d/kernel", -0.5, 0.5, 3, 3, 3, 2)
	testmodels.AddUniform(m, r, "conv2d/bias", -0.5, 0.5, 2)
	testmodels.AddUniform(m, r, "dense/kernel", -0.5, 0.5, 32, 1)
	testmodels.AddUniform(m, r, "dense/bias", -0.5, 0.5, 1)
	return m
}

// convNet is convModel and the trainer's network built from it.
func convNet(t *testing.T) (*model.Model, *train.Sequential) {
	t.Helper()
	m := convModel()
	net, err := train.FromModel(m)
	require.NoError(t, err)
	return m, net
}

// randomImages makes n 4x4 images; labels alternate over classes.
func randomImages(n, classes int) *dataset.Dataset {
	r := rand.New(rand.NewPCG(10, 10))
	d := &dataset.Dataset{Dir: "synthetic", ClassNames: []string{"Car", "Truck"}, Height: 4, Width: 4}
	for i := range n {
		for range 4 * 4 * 3 {
			d.Pixels = append(d.Pixels, uint8(r.IntN(256)))
		}
		d.Labels = append(d.Labels, int32(i%classes))
		d.Files = append(d.Files, "img")
	}
	return d
}

func TestCalibrateMinMaxMatchesForwardPass(t *testing.T) {
	m, net := convNet(t)
	ds := randomImages(150, 2)
	var warnings []string
	tab, err := Calibrate(net, m, ds, Options{Method: MinMax, Warn: func(s string) { warnings = append(warnings, s) }})
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, ModelHash(m), tab.ModelHash)
	require.Equal(t, 150, tab.Samples)

	// Brute force: every conv output and every head logit (from the
	// sigmoid's inverse) over the whole set.
	x := make([]float32, len(ds.Pixels))
	for i, p := range ds.Pixels {
		x[i] = float32(p) / 255
	}
	convMax := 0.0
	net.ForwardCollect(x, ds.Len(), func(layer int, out []float32) {
		if layer == 0 {
			for _, v := range out {
				convMax = math.Max(convMax, float64(v))
			}
		}
	})
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range net.Predict(x, ds.Len()) {
		z := math.Log(float64(p) / (1 - float64(p)))
		lo, hi = math.Min(lo, z), math.Max(hi, z)
	}
	byName := map[string]Entry{}
	for _, e := range tab.Entries {
		byName[e.Name] = e
	}
	require.Equal(t, []string{InputName, "conv2d", "flatten", "dense"}, names(tab))
	require.Equal(t, NewEntry(InputName, 0, 1), byName[InputName])
	require.Equal(t, float32(0), byName["conv2d"].Min)
	require.InDelta(t, convMax, byName["conv2d"].Max, 1e-6)
	require.Equal(t, byName["conv2d"].Max, byName["flatten"].Max)
	require.InDelta(t, math.Min(lo, 0), byName["dense"].Min, 1e-4, "head entry holds the logits")
	require.InDelta(t, math.Max(hi, 0), byName["dense"].Max, 1e-4)
}

func names(t *Table) []string {
	var n []string
	for _, e := range t.Entries {
		n = append(n, e.Name)
	}
	return n
}

func TestCalibrateMethodsAndDeterminism(t *testing.T) {
	m, net := convNet(t)
	ds := randomImages(300, 2)
	mm, err := Calibrate(net, m, ds, Options{Method: MinMax, Samples: 120, Seed: 3})
	require.NoError(t, err)
	for _, method := range Methods {
		opt := Options{Method: method, Samples: 120, Seed: 3}
		a, err := Calibrate(net, m, ds, opt)
		require.NoError(t, err, method)
		b, err := Calibrate(net, m, ds, opt)
		require.NoError(t, err)
		require.Equal(t, a, b, "%s: same seed, same table", method)
		require.Equal(t, 120, a.Samples)
		for i, e := range a.Entries {
			require.LessOrEqual(t, e.Min, float32(0), "%s %s", method, e.Name)
			require.GreaterOrEqual(t, e.Max, float32(0))
			require.LessOrEqual(t, e.Max, mm.Entries[i].Max, "%s %s: no method widens the observed range", method, e.Name)
		}
		require.Equal(t, mm.Entries[len(mm.Entries)-1], a.Entries[len(a.Entries)-1], "%s: the head keeps its min/max", method)
	}
	other, err := Calibrate(net, m, ds, Options{Method: MinMax, Samples: 120, Seed: 4})
	require.NoError(t, err)
	require.NotEqual(t, mm.Entries, other.Entries, "another seed draws other images")
}

func TestCalibrateWarnings(t *testing.T) {
	m, net := convNet(t)
	var warnings []string
	warn := func(s string) { warnings = append(warnings, s) }
	_, err := Calibrate(net, m, randomImages(40, 1), Options{Method: MinMax, Samples: 500, Warn: warn})
	require.NoError(t, err)
	require.Len(t, warnings, 3)
	require.Contains(t, warnings[0], "holds 40 images, fewer than the 500 calibration samples asked for")
	require.Contains(t, warnings[1], "calibrating on 40 images; at least 100")
	require.Contains(t, warnings[2], `class "Truck" has no calibration images`)
}

func TestCalibrateErrors(t *testing.T) {
	m, net := convNet(t)
	ds := randomImages(10, 2)
	quiet := func(string) {}
	_, err := Calibrate(net, m, ds, Options{Method: "kl", Warn: quiet})
	require.ErrorContains(t, err, `unknown calibration method "kl"`)
	_, err = Calibrate(net, m, ds, Options{Method: Percentile, Percentile: 20, Warn: quiet})
	require.ErrorContains(t, err, "percentile 20 is outside")
	ds.Height, ds.Width = 8, 2
	_, err = Calibrate(net, m, ds, Options{Method: MinMax, Warn: quiet})
	require.ErrorContains(t, err, "synthetic: images are 2x8, model \"calib-test\" takes 4x4")

	nan := convModel()
	k, _ := nan.Tensor("conv2d/bias")
	k.Data = model.NewFloat32(k.Name, k.Shape, []float32{float32(math.NaN()), 0}).Data
	nanNet, err := train.FromModel(nan)
	require.NoError(t, err)
	_, err = Calibrate(nanNet, nan, randomImages(10, 2), Options{Method: MinMax, Warn: quiet})
	require.ErrorContains(t, err, "layer 0 (conv2d) outputs NaN")
}
