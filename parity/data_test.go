package parity

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// carTruck is the real data set shared by the team's tests.
var carTruck = filepath.Join("..", "..", "shared", "data", "car-truck")

// TestSeedExerciseParity trains the seed-exercise network at 32x32 on real
// car/truck photographs, calibrates it on 500 training images with every
// method, quantises it and requires the int8 model to lose at most half an
// accuracy point and agree on at least 99% of the 2000 validation images.
// No method is unsuited here. On two idle cores it takes about three
// minutes: a minute of training, then per method some 35 s, nearly all of
// it the pure-Go int8 runtime classifying the validation set.
func TestSeedExerciseParity(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network and runs 8000 int8 inferences (about 3 minutes); skipped in -short")
	}
	if _, err := os.Stat(carTruck); err != nil {
		t.Skipf("real data not found at %s (see /work/shared/data/README.md): %v", carTruck, err)
	}
	start := time.Now()
	opt := dataset.Options{Height: 32, Width: 32, Strict: true}
	trainSet, err := dataset.FromDirectory(filepath.Join(carTruck, "train"), opt)
	require.NoError(t, err)
	valid, err := dataset.FromDirectory(filepath.Join(carTruck, "valid"), opt)
	require.NoError(t, err)
	t.Logf("loaded %d training and %d validation images in %v", trainSet.Len(), valid.Len(), time.Since(start))

	start = time.Now()
	m := trainSeedExercise(t, trainSet.Subsample(trainEpochImages, 1), valid)
	t.Logf("trained in %v", time.Since(start))

	for _, method := range calib.Methods {
		t.Run(method, func(t *testing.T) {
			start := time.Now()
			net, err := train.FromModel(m)
			require.NoError(t, err)
			tab, err := calib.Calibrate(net, m, trainSet, calib.Options{Method: method, Samples: 500, Seed: 1})
			require.NoError(t, err)
			q, _, err := quantize.Quantize(m, tab, quantize.Options{})
			require.NoError(t, err)
			res, err := Compare(m, q, valid, Options{Workers: 2})
			require.NoError(t, err)
			t.Logf("%s: float %.2f%% int8 %.2f%% agreement %.2f%% mean|dp| %.4f max|dp| %.4f (%v)", method,
				100*res.FloatAccuracy, 100*res.Int8Accuracy, 100*res.Agreement, res.MeanAbsDiff, res.MaxAbsDiff, time.Since(start))
			require.NoError(t, res.Check(DefaultBudget))
		})
	}
}

// trainEpochImages bounds the training set so the test trains in about a
// minute on two cores; the model must be real (it reaches some 65%
// validation accuracy in 3 epochs), not good.
const trainEpochImages = 3000

func trainSeedExercise(t *testing.T, ds, valid *dataset.Dataset) *model.Model {
	net, err := train.Preset("seed-exercise", 32, 32, 3, len(ds.ClassNames))
	require.NoError(t, err)
	return fitModel(t, net, ds, valid, train.FitOptions{Epochs: 3, BatchSize: 32, Optimizer: train.Optimizer{LearningRate: 2e-3, Epsilon: 0.01}}, 0.6)
}

// fitModel trains net (32x32 inputs) from seed 1 with opts, requires the
// last epoch's validation accuracy above minAccuracy and returns the model.
func fitModel(t *testing.T, net *train.Sequential, ds, valid *dataset.Dataset, opts train.FitOptions, minAccuracy float64) *model.Model {
	require.NoError(t, net.Init(1))
	pre := model.Preprocess{Height: 32, Width: 32, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255}
	res, err := net.Fit(context.Background(),
		ds.Batches(opts.BatchSize, true, 1, nil, pre.Scale, pre.Offset),
		valid.Batches(opts.BatchSize, false, 0, nil, pre.Scale, pre.Offset), opts)
	require.NoError(t, err)
	for _, e := range res.History.Epochs {
		t.Logf("%+v", e)
	}
	last := res.History.Epochs[len(res.History.Epochs)-1]
	require.Greater(t, last.ValAccuracy, minAccuracy, "the network did not learn")
	m, err := net.ToModel(ds.ClassNames, pre)
	require.NoError(t, err)
	return m
}
