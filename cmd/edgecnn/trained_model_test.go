package main

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// carTruckValid holds the real images the end-to-end tests use.
const carTruckValid = "../../../shared/data/car-truck/valid"

// trainedModel trains seed-tutorial at 32x32 for a few epochs on 400 of
// the car-truck images and quantises it (calibrated on 64 of them), as
// edgecnn train and edgecnn quantize do, so its labels mean something.
func trainedModel(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(carTruckValid); err != nil {
		t.Skipf("needs the shared car-truck images in %s", carTruckValid)
	}
	return trainedModelOn(t, carTruckValid)
}

// trainedModelOn is trainedModel on the labelled image folder dir.
func trainedModelOn(t *testing.T, dir string) string {
	t.Helper()
	ds, err := dataset.FromDirectory(dir, dataset.Options{Height: 32, Width: 32, Warn: func(string) {}})
	require.NoError(t, err)
	ds = ds.Subsample(400, 1)
	net, err := train.Preset("seed-tutorial", 32, 32, 3, len(ds.ClassNames))
	require.NoError(t, err)
	require.NoError(t, net.Init(1))
	batches := ds.Batches(32, true, 1, nil, 1.0/255, 0)
	_, err = net.Fit(context.Background(), batches, nil, train.FitOptions{Epochs: 4, BatchSize: 32})
	require.NoError(t, err)
	pre := model.Preprocess{Height: 32, Width: 32, Channels: 3, Interpolation: preprocess.Bilinear, Scale: 1.0 / 255}
	m, err := net.ToModel(ds.ClassNames, pre)
	require.NoError(t, err)
	table, err := calib.Calibrate(net, m, ds, calib.Options{Method: calib.MinMax, Samples: 64, Seed: 1, Warn: func(string) {}})
	require.NoError(t, err)
	q, _, err := quantize.Quantize(m, table, quantize.Options{Source: "test"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.q8.ecnn")
	require.NoError(t, model.Save(path, q))
	return path
}

// carTruckImages returns the first n Car and the first n Truck images of
// the shared validation set, or skips the test without them.
func carTruckImages(t *testing.T, n int) []string {
	t.Helper()
	var files []string
	for _, class := range []string{"Car", "Truck"} {
		m, _ := filepath.Glob(filepath.Join(carTruckValid, class, "*.jpg"))
		sort.Strings(m)
		if len(m) < n {
			t.Skipf("needs the shared car-truck images in %s", carTruckValid)
		}
		files = append(files, m[:n]...)
	}
	return files
}
