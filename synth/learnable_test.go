package synth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/train"
)

// TestLearnable trains the small seed-tutorial convnet at 32x32 for a few
// epochs and requires more than 90% validation accuracy: the classes must be
// told apart by their drawn shapes.
func TestLearnable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a convnet for about a minute; skipped in -short mode")
	}
	dir := t.TempDir()
	require.NoError(t, Generate(dir, 500, 150, 32, 11))
	load := func(split string) *dataset.Dataset {
		d, err := dataset.FromDirectory(filepath.Join(dir, split), dataset.Options{Height: 32, Width: 32, Strict: true})
		require.NoError(t, err)
		return d
	}
	trainSet, validSet := load(TrainDir), load(ValidDir)
	net, err := train.Preset("seed-tutorial", 32, 32, 3, 2)
	require.NoError(t, err)
	require.NoError(t, net.Init(1))
	const batch = 32
	_, err = net.Fit(context.Background(),
		trainSet.Batches(batch, true, 1, nil, 1.0/255, 0),
		validSet.Batches(batch, false, 1, nil, 1.0/255, 0),
		train.FitOptions{Epochs: 5, BatchSize: batch})
	require.NoError(t, err)
	eval, err := net.Evaluate(validSet.Batches(batch, false, 1, nil, 1.0/255, 0), batch)
	require.NoError(t, err)
	t.Logf("validation accuracy after 5 epochs: %.3f", eval.Accuracy)
	require.Greater(t, eval.Accuracy, 0.9)
}
