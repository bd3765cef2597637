package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/synth"
)

// TestTrainEvalPredict trains on generated images, resumes for one more
// epoch, then evaluates and predicts with the model.
func TestTrainEvalPredict(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	require.NoError(t, synth.Generate(data, 24, 8, 16, 1))
	out := filepath.Join(t.TempDir(), "model.ecnn")
	args := []string{"--data", filepath.Join(data, "train"), "--valid", filepath.Join(data, "valid"), "--arch", "seed-exercise",
		"--image-size", "16", "--batch-size", "16", "--threads", "2", "-o", out, "--json"}

	stdout, stderr, err := clitest.Run(t, newTrainCmd(), append(args, "--epochs", "2")...)
	require.NoError(t, err, stderr)
	var rep trainReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, 2, rep.Epochs)
	require.Contains(t, stderr, "Epoch 2/2\n3/3 [==============================]")
	require.Contains(t, stderr, "val_binary_accuracy: ")
	for _, f := range []string{"model.history.csv", "model.history.json", "model.curves.png", "model.ecnn.ckpt"} {
		require.FileExists(t, filepath.Join(filepath.Dir(out), f))
	}
	m, err := model.Load(out)
	require.NoError(t, err)
	require.Equal(t, []string{"Car", "Truck"}, m.Labels)
	require.Equal(t, model.Preprocess{Height: 16, Width: 16, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255}, m.Input)
	require.Equal(t, 2, m.Provenance.Epochs)
	require.Equal(t, int64(1), m.Provenance.Seed)
	require.Contains(t, m.Provenance.TrainData, "train")
	require.Contains(t, m.Provenance.Metrics, "val_binary_accuracy")
	first, err := os.ReadFile(filepath.Join(filepath.Dir(out), "model.history.csv"))
	require.NoError(t, err)

	// --resume continues with the same history.
	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--epochs", "3", "--resume")...)
	require.NoError(t, err, stderr)
	require.NotContains(t, stderr, "Epoch 1/3")
	second, err := os.ReadFile(filepath.Join(filepath.Dir(out), "model.history.csv"))
	require.NoError(t, err)
	rows1, rows2 := strings.Split(string(first), "\n"), strings.Split(string(second), "\n")
	require.Len(t, rows2, 5) // header, 3 epochs, final newline
	for i := 0; i < 3; i++ {
		require.Equal(t, dropSeconds(rows1[i]), dropSeconds(rows2[i]))
	}

	stdout, stderr, err = clitest.Run(t, newEvalCmd(), "--model", out, "--data", filepath.Join(data, "valid"), "--json")
	require.NoError(t, err, stderr)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &ev))
	for _, k := range []string{"loss", "accuracy", "classes", "confusion", "precision", "recall"} {
		require.Contains(t, ev, k)
	}
	require.EqualValues(t, 16, ev["images"])
	stdout, _, err = clitest.Run(t, newEvalCmd(), "--model", out, "--data", filepath.Join(data, "valid"))
	require.NoError(t, err)
	require.Contains(t, stdout, "true\\pred")

	imgs, err := filepath.Glob(filepath.Join(data, "valid", "Truck", "*"))
	require.NoError(t, err)
	stdout, stderr, err = clitest.Run(t, newPredictCmd(), "--model", out, "--json", imgs[0], imgs[1])
	require.NoError(t, err, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2)
	var p cli.InferLine
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &p))
	require.Contains(t, []string{"Car", "Truck"}, p.Label)
	require.True(t, p.Probability >= 0.5 && p.Probability <= 1)

	// A corrupt image is reported by name and makes the exit code non-zero.
	bad := filepath.Join(t.TempDir(), "bad.jpg")
	require.NoError(t, os.WriteFile(bad, []byte("not an image"), 0o644))
	_, stderr, err = clitest.Run(t, newPredictCmd(), "--model", out, bad, imgs[0])
	require.Error(t, err)
	require.Contains(t, stderr, "bad.jpg: cannot decode")
}

func dropSeconds(row string) string {
	if i := strings.LastIndex(row, ","); i >= 0 {
		return row[:i]
	}
	return row
}

func TestSummaryCommand(t *testing.T) {
	stdout, _, err := clitest.Run(t, newSummaryCmd(), "--arch", "seed-tutorial", "--image-size", "128")
	require.NoError(t, err)
	require.Contains(t, stdout, "Total params: 291,405")
	require.Contains(t, stdout, "dense_1 (Dense)")

	stdout, _, err = clitest.Run(t, newSummaryCmd(), "--arch", "seed-exercise", "--image-size", "32", "--classes", "10", "--json")
	require.NoError(t, err)
	require.Contains(t, stdout, `"output_shape":[10]`)

	_, _, err = clitest.Run(t, newSummaryCmd(), "--spec", "no-such.yaml")
	require.ErrorContains(t, err, "no-such.yaml")
}

func TestBenchTrainCommand(t *testing.T) {
	stdout, _, err := clitest.Run(t, newBenchTrainCmd(), "--arch", "seed-exercise", "--image-size", "16", "--batches", "2", "--warmup", "1", "--threads", "2", "--json")
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Greater(t, rep["images_per_second"], 0.0)
	require.EqualValues(t, 2, rep["threads"])
}

func TestTrainCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", filepath.Join(dir, "none")}, "none"},
		{[]string{"--data", dir, "--augment", "flip,blur=2"}, `--augment: "blur=2"`},
		{[]string{"--data", dir, "--valid", dir, "--validation-split", "0.2"}, "either --valid or --validation-split"},
	} {
		_, _, err := clitest.Run(t, newTrainCmd(), c.args...)
		require.ErrorContains(t, err, c.want, "%v", c.args)
	}
	_, _, err := clitest.Run(t, newEvalCmd(), "--model", filepath.Join(dir, "missing.ecnn"), "--data", dir)
	require.ErrorContains(t, err, "missing.ecnn")
}
