package main

import (
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
	"github.com/edgecnn/edgecnn/model"
)

// inferFixture writes a random int8 model and a folder of PNGs (one in a
// subfolder, one corrupt) and returns their paths.
func inferFixture(t *testing.T) (modelPath, dir string) {
	tmp := t.TempDir()
	m, err := randmodel.Int8("fixture", 12, 10, []model.Layer{
		{Type: model.Conv2D, Filters: 4, KernelSize: [2]int{3, 3}, Padding: model.Same, Activation: model.ReLU},
		{Type: model.MaxPool2D}, {Type: model.Flatten}, {Type: model.Dense, Units: 1, Activation: model.Sigmoid},
	}, randmodel.Options{Seed: 1, Labels: []string{"Car", "Truck"}})
	require.NoError(t, err)
	modelPath = filepath.Join(tmp, "m.q8.ecnn")
	require.NoError(t, model.Save(modelPath, m))
	dir = filepath.Join(tmp, "images")
	for i, name := range []string{"b.png", "a.png", "sub/c.png"} {
		img := image.NewNRGBA(image.Rect(0, 0, 20+i, 15))
		for p := range img.Pix {
			img.Pix[p] = uint8(p*7 + i*50)
		}
		img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
		imagefiletest.Write(t, filepath.Join(dir, name), img)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.png"), []byte("not a png"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("skipped"), 0o644))
	return modelPath, dir
}

// TestInferCommand classifies a folder: sorted recursive order, JSON lines
// with a distribution per image, a warning naming the broken file and a
// failing exit at the end.
func TestInferCommand(t *testing.T) {
	modelPath, dir := inferFixture(t)
	stdout, stderr, err := clitest.Run(t, cli.NewInferCmd(), "--model", modelPath, "--json", "--threads", "2", dir)
	require.ErrorContains(t, err, "1 of 4 images could not be classified")
	require.Contains(t, stderr, "broken.png: cannot decode")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3)
	var files []string
	for _, l := range lines {
		var r cli.InferLine
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		files = append(files, filepath.Base(r.File))
		require.Len(t, r.Probabilities, 2)
		require.InDelta(t, 1, r.Probabilities["Car"]+r.Probabilities["Truck"], 1e-5)
		require.Equal(t, r.Probability, r.Probabilities[r.Label])
		require.GreaterOrEqual(t, r.Probability, float32(0.5))
	}
	require.Equal(t, []string{"a.png", "b.png", "c.png"}, files)

	stdout, _, err = clitest.Run(t, cli.NewInferCmd(), "--model", modelPath, filepath.Join(dir, "a.png"))
	require.NoError(t, err)
	require.Regexp(t, `a\.png\t(Car|Truck)\t0\.\d{4}\tCar=0\.\d{4}\tTruck=0\.\d{4}\n`, stdout)

	_, _, err = clitest.Run(t, cli.NewInferCmd(), "--model", filepath.Join(dir, "missing.ecnn"), dir)
	require.ErrorContains(t, err, "missing.ecnn")
}

// TestInspectCommand checks the JSON keys and that the arena plan is
// within 10% of the lower bound and below the naive plan.
func TestInspectCommand(t *testing.T) {
	modelPath, _ := inferFixture(t)
	stdout, _, err := clitest.Run(t, newInspectCmd(), "--model", modelPath, "--json")
	require.NoError(t, err)
	var s struct {
		MACs        int64 `json:"macs"`
		WeightBytes int64 `json:"weight_bytes"`
		Arena       int   `json:"arena_bytes"`
		LowerBound  int   `json:"arena_lower_bound_bytes"`
		Naive       int   `json:"naive_bytes"`
		Layers      []struct {
			Type string `json:"type"`
			MACs int64  `json:"macs"`
		} `json:"layers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &s))
	require.Len(t, s.Layers, 4)
	require.Equal(t, int64(12*10*4*27+6*5*4*1), s.MACs) // conv 3x3x3 per output, dense 120 inputs
	require.LessOrEqual(t, float64(s.Arena), 1.1*float64(s.LowerBound))
	require.Less(t, s.Arena, s.Naive)
	require.Positive(t, s.WeightBytes)

	stdout, _, err = clitest.Run(t, newInspectCmd(), "--model", modelPath)
	require.NoError(t, err)
	require.Contains(t, stdout, "MaxPool2D")
	require.Contains(t, stdout, "the lower bound")
}

// TestBenchCommand measures a model file and an untrained preset.
func TestBenchCommand(t *testing.T) {
	modelPath, _ := inferFixture(t)
	defer rootCmd.SetArgs(nil)
	defer rootCmd.SetOut(nil)
	stdout, _, err := clitest.Run(t, rootCmd, "bench", "--model", modelPath, "--frames", "5", "--warmup", "1", "--threads", "1,2", "--json")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2)
	for i, l := range lines {
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		for _, k := range []string{"latency_ms_median", "latency_ms_p99", "allocs_per_frame", "arena_bytes", "macs", "kernel"} {
			require.Contains(t, r, k)
		}
		require.Equal(t, float64(i+1), r["threads"])
		require.LessOrEqual(t, r["latency_ms_median"], r["latency_ms_p99"])
		require.Greater(t, r["peak_rss_bytes"], float64(1<<20), "the process's peak RSS")
	}
	// Flags keep their values between runs.
	bench.model, bench.asJSON = "", false
	benchCmd.Flags().Lookup("model").Changed = false
	stdout, _, err = clitest.Run(t, rootCmd, "bench", "--arch", "seed-tutorial", "--image-size", "16", "--frames", "2", "--warmup", "0", "--threads", "1")
	require.NoError(t, err)
	require.Contains(t, stdout, "int8 [16 16 3]")
	require.Contains(t, stdout, "threads 1: median")
}
