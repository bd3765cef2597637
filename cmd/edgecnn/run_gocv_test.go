//go:build gocv

package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"gocv.io/x/gocv"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// carTruckValid holds the real images the end-to-end video test uses.
const carTruckValid = "../../../shared/data/car-truck/valid"

// trainedModel trains seed-tutorial at 32x32 for a few epochs on 400 of
// the car-truck images and quantises it (calibrated on 64 of them), as
// edgecnn train and edgecnn quantize do, so its labels mean something.
func trainedModel(t *testing.T) string {
	t.Helper()
	ds, err := dataset.FromDirectory(carTruckValid, dataset.Options{Height: 32, Width: 32, Warn: func(string) {}})
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

// edgecnn run --camera clip.avi --json reports, frame by frame, the labels
// edgecnn infer gives for the images the video was made from.
func TestRunVideoFileMatchesInfer(t *testing.T) {
	var files []string
	for _, class := range []string{"Car", "Truck"} {
		m, _ := filepath.Glob(filepath.Join(carTruckValid, class, "*.jpg"))
		sort.Strings(m)
		if len(m) < 10 {
			t.Skipf("needs the shared car-truck images in %s", carTruckValid)
		}
		files = append(files, m[:10]...)
	}
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

	modelPath := trainedModel(t)
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
