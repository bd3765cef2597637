package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
)

// sharedData returns ../../shared/data/name, or skips the test when it is
// absent or in -short mode.
func sharedData(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("trains on real images: skipped in -short mode")
	}
	dir := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s is absent: skipping the real-data training test", dir)
	}
	return dir
}

// trainOnFolders trains net (seed 1, batch 64) on dir/train, validating on
// dir/valid, and returns the result.
func trainOnFolders(t *testing.T, dir string, net *Sequential, opt Optimizer, epochs int) *Result {
	load := dataset.Options{Height: 32, Width: 32}
	tr, err := dataset.FromDirectory(filepath.Join(dir, "train"), load)
	require.NoError(t, err)
	va, err := dataset.FromDirectory(filepath.Join(dir, "valid"), load)
	require.NoError(t, err)
	require.NoError(t, net.Init(1))
	res, err := net.Fit(context.Background(), tr.Batches(64, true, 1, nil, 1.0/255, 0), va.Batches(64, false, 1, nil, 1.0/255, 0),
		FitOptions{Epochs: epochs, BatchSize: 64, Optimizer: opt})
	require.NoError(t, err)
	for _, e := range res.History.Epochs {
		t.Logf("epoch %d: loss %.4f acc %.4f val_loss %.4f val_acc %.4f (%.0fs)", e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, e.Seconds)
	}
	return res
}

// TestTrainCarTruck: two epochs of seed-exercise on the 8000 car and truck
// photographs are well above chance (0.5) on the 2000 validation images.
// (The full 20-epoch run reaches about 0.88; Keras' Adam with epsilon 0.01
// starts slowly.)
func TestTrainCarTruck(t *testing.T) {
	dir := sharedData(t, "car-truck")
	net, err := Preset("seed-exercise", 32, 32, 3, 2)
	require.NoError(t, err)
	// The Keras course's recipe.
	res := trainOnFolders(t, dir, net, Optimizer{LearningRate: 1e-3, Epsilon: 0.01}, 2)
	require.Greater(t, res.History.Epochs[1].ValAccuracy, 0.6)
}

// TestTrainCIFAR10Mini: a softmax model (testdata/cifar-small.yaml) learns
// ten classes far above the 10% of chance in two epochs.
func TestTrainCIFAR10Mini(t *testing.T) {
	dir := sharedData(t, "cifar10-mini")
	net, err := FromSpecFile("testdata/cifar-small.yaml", 32, 32, 3)
	require.NoError(t, err)
	res := trainOnFolders(t, dir, net, Optimizer{LearningRate: 1e-3}, 2)
	require.Greater(t, res.History.Epochs[1].ValAccuracy, 0.3)
}
