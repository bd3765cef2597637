//go:build gocv

package cli

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/stretchr/testify/require"
	"gocv.io/x/gocv"
)

// edgecnn run --camera clip.avi --json reports, frame by frame, the labels
// edgecnn infer gives for the images the video was made from.
func TestRunVideoFileMatchesInfer(t *testing.T) {
	files := clitest.CarTruckImages(t, 10)
	video := filepath.Join(t.TempDir(), "clip.avi")
	vw, err := gocv.VideoWriterFile(video, "MJPG", 10, 32, 32, true)
	require.NoError(t, err)
	for _, f := range files {
		img := gocv.IMRead(f, gocv.IMReadColor)
		require.Equal(t, [2]int{32, 32}, [2]int{img.Cols(), img.Rows()}, f)
		require.NoError(t, vw.Write(img))
		img.Close()
	}
	require.NoError(t, vw.Close())

	modelPath := clitest.TrainedModel(t)
	want := inferLines(t, modelPath, files)
	var out, errw bytes.Buffer
	require.NoError(t, runCamera(context.Background(), defaultRunOptions(modelPath, video), &out, &errw))
	got := parseRunLines(t, out.Bytes())
	require.Len(t, got, len(files), errw.String())
	labels := map[string]bool{}
	for i := range want {
		labels[want[i].Label] = true
		require.Equal(t, uint64(i), *got[i].Frame)
		require.Empty(t, got[i].File, "video frames have no file names")
		require.InDelta(t, want[i].Probability, *got[i].Probability, 0.05, "%s: MJPEG changes the pixels a little, the probability a little", files[i])
		if math.Abs(float64(want[i].Probability)-0.5) > 0.02 {
			require.Equal(t, want[i].Label, got[i].Label, files[i])
		}
	}
	require.Len(t, labels, 2, "the model should tell some images apart")
	require.Contains(t, errw.String(), "0 dropped")
}
