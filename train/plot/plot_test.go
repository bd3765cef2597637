package plot

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/train"
)

func TestLearningCurves(t *testing.T) {
	h := &train.History{Metric: "binary_accuracy"}
	for e := 1; e <= 5; e++ {
		h.Epochs = append(h.Epochs, train.EpochLog{Epoch: e, Loss: 1 / float64(e), Accuracy: 1 - 0.5/float64(e), ValLoss: 1.1 / float64(e), ValAccuracy: 0.9 - 0.5/float64(e)})
	}
	path := filepath.Join(t.TempDir(), "curves.png")
	require.NoError(t, LearningCurves(path, h))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), img.Bounds().Dy()) // two panels side by side

	// Without validation, and with nothing to plot.
	for i := range h.Epochs {
		h.Epochs[i].ValLoss, h.Epochs[i].ValAccuracy = math.NaN(), math.NaN()
	}
	require.NoError(t, LearningCurves(path, h))
	require.ErrorContains(t, LearningCurves(path, &train.History{}), "no epochs")
}
