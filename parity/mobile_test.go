package parity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// TestMobileNetV2Int8Agreement quantises a randomly initialised
// mobilenet-v2-0.35 at 32x32 (BN statistics near its activations'), with
// calibration on 200 car/truck training photographs, and compares the int8
// runtime with the float model on 500 validation photographs. A random
// network this deep amplifies any perturbation, so its int8 error grows
// steadily with depth (about 1 dB per layer) and top-1 agreement is far
// from a trained network's; the test requires what a correct pipeline
// gives and a broken operator would not: the first layer within 8-bit
// precision (30 dB), no layer losing more than 5 dB on the layer before it,
// and agreement of at least 70% (chance is 50%). -short runs min/max only.
func TestMobileNetV2Int8Agreement(t *testing.T) {
	if _, err := os.Stat(carTruck); err != nil {
		t.Skipf("real data not found at %s (see /work/shared/data/README.md): %v", carTruck, err)
	}
	m, err := testmodels.Preset("mobilenet-v2", 0.35, 32, 2, 1)
	require.NoError(t, err)
	opt := dataset.Options{Height: 32, Width: 32, Strict: true}
	trainSet, err := dataset.FromDirectory(filepath.Join(carTruck, "train"), opt)
	require.NoError(t, err)
	valid, err := dataset.FromDirectory(filepath.Join(carTruck, "valid"), opt)
	require.NoError(t, err)
	valid = valid.Subsample(500, 2)
	methods := calib.Methods
	if testing.Short() {
		methods = []string{calib.MinMax}
	}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			net, err := train.FromModel(m)
			require.NoError(t, err)
			defer net.Close()
			tab, err := calib.Calibrate(net, m, trainSet, calib.Options{Method: method, Samples: 200, Seed: 1})
			require.NoError(t, err)
			q, _, err := quantize.Quantize(m, tab, quantize.Options{})
			require.NoError(t, err)
			res, err := Compare(m, q, valid, Options{Workers: 2, LayerImages: 20})
			require.NoError(t, err)
			t.Logf("%s: agreement %.2f%% (%d of %d differ), mean|dp| %.4f max|dp| %.4f", method,
				100*res.Agreement, res.Disagreements, res.Images, res.MeanAbsDiff, res.MaxAbsDiff)
			require.Greater(t, res.Layers[0].SQNR, 30.0, "%s: first layer", method)
			for i, l := range res.Layers[1:] {
				require.Greater(t, l.SQNR, res.Layers[i].SQNR-5, "%s: layer %s (%s) loses %.1f dB on %s", method, l.Name, l.Type, res.Layers[i].SQNR-l.SQNR, res.Layers[i].Name)
			}
			t.Logf("last layer %s: SQNR %.1f dB", res.Layers[len(res.Layers)-1].Name, res.Layers[len(res.Layers)-1].SQNR)
			require.GreaterOrEqual(t, res.Agreement, 0.7, method)
		})
	}
}

// TestTrainedMobileNetV2Parity trains mobilenet-v2-0.35 at 32x32 on the
// car/truck photographs for 6 epochs (BatchNormalization statistics
// recalibrated after each, without which validation stays at chance), then
// calibrates it on 500 training images with every method and compares the
// int8 model with the float one on the 2000 validation images. Six epochs
// give about 69% validation accuracy, with many images near the decision
// boundary, so the 99% agreement gate (met by the 30-epoch model,
// ~85%) is out of reach here: measured agreement is 97.2-98.0% and int8
// accuracy within a point of float. The test requires 96% and at most 1.5
// points lost; a broken operator or BN folding lands near chance. Entropy
// calibration clips the 1x1 tensors of blocks 14-16 hard (their SQNR falls
// to a few dB); the test logs such layers.
func TestTrainedMobileNetV2Parity(t *testing.T) {
	if testing.Short() {
		t.Skip("trains mobilenet-v2 and runs 8000 int8 inferences (minutes); skipped in -short")
	}
	if _, err := os.Stat(carTruck); err != nil {
		t.Skipf("real data not found at %s (see /work/shared/data/README.md): %v", carTruck, err)
	}
	opt := dataset.Options{Height: 32, Width: 32, Strict: true}
	trainSet, err := dataset.FromDirectory(filepath.Join(carTruck, "train"), opt)
	require.NoError(t, err)
	valid, err := dataset.FromDirectory(filepath.Join(carTruck, "valid"), opt)
	require.NoError(t, err)
	net, err := train.PresetAlpha("mobilenet-v2", 0.35, 32, 32, 3, len(trainSet.ClassNames))
	require.NoError(t, err)
	m := fitModel(t, net, trainSet, valid, train.FitOptions{Epochs: 6, BatchSize: 64, RecalibrateBN: 50,
		Optimizer: train.Optimizer{LearningRate: 2e-3, Epsilon: 1e-7}}, 0.6)
	for _, method := range calib.Methods {
		t.Run(method, func(t *testing.T) {
			tab, err := calib.Calibrate(net, m, trainSet, calib.Options{Method: method, Samples: 500, Seed: 1})
			require.NoError(t, err)
			q, _, err := quantize.Quantize(m, tab, quantize.Options{})
			require.NoError(t, err)
			res, err := Compare(m, q, valid, Options{Workers: 2, LayerImages: 50})
			require.NoError(t, err)
			t.Logf("%s: float %.2f%% int8 %.2f%% agreement %.2f%% (%d differ), mean|dp| %.4f max|dp| %.4f", method,
				100*res.FloatAccuracy, 100*res.Int8Accuracy, 100*res.Agreement, res.Disagreements, res.MeanAbsDiff, res.MaxAbsDiff)
			for _, l := range res.Layers {
				if l.SQNR < 15 {
					t.Logf("%s: layer %s (%s) SQNR %.1f dB", method, l.Name, l.Type, l.SQNR)
				}
			}
			require.NoError(t, res.Check(Budget{MaxDrop: 1.5, MinAgreement: 0.96}), method)
		})
	}
}
