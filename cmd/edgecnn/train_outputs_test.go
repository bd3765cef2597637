package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/synth"
)

// trainArgs generates a small car/truck set and returns train's arguments
// for it (one epoch, 16x16) writing out.
func trainArgs(t *testing.T, out string) []string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	require.NoError(t, synth.Generate(data, 16, 4, 16, 1))
	return []string{"--data", filepath.Join(data, "train"), "--valid", filepath.Join(data, "valid"), "--arch", "seed-exercise",
		"--image-size", "16", "--batch-size", "16", "--threads", "1", "--epochs", "1", "-o", out}
}

// TestTrainOutputsNamedAfterModel trains two models into one folder: each
// keeps its own history and curves, named after it.
func TestTrainOutputsNamedAfterModel(t *testing.T) {
	dir := t.TempDir()
	args := trainArgs(t, filepath.Join(dir, "a.ecnn"))
	_, stderr, err := clitest.Run(t, newTrainCmd(), args...)
	require.NoError(t, err, stderr)
	args[len(args)-1] = filepath.Join(dir, "b.ecnn")
	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--epochs", "2")...)
	require.NoError(t, err, stderr)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.ElementsMatch(t, []string{"a.ecnn", "a.ecnn.ckpt", "a.history.csv", "a.history.json", "a.curves.png",
		"b.ecnn", "b.ecnn.ckpt", "b.history.csv", "b.history.json", "b.curves.png"}, names)
	a, err := os.ReadFile(filepath.Join(dir, "a.history.csv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "b.history.csv"))
	require.NoError(t, err)
	require.Len(t, strings.Split(strings.TrimSpace(string(a)), "\n"), 2, "a: header and 1 epoch")
	require.Len(t, strings.Split(strings.TrimSpace(string(b)), "\n"), 3, "b: header and 2 epochs")
}

// TestTrainPreparesOutput checks -o before the first epoch: missing folders
// are created, and an -o that cannot be written fails before any training.
func TestTrainPreparesOutput(t *testing.T) {
	dir := t.TempDir()
	args := trainArgs(t, filepath.Join(dir, "new", "sub", "m.ecnn"))
	_, stderr, err := clitest.Run(t, newTrainCmd(), args...)
	require.NoError(t, err, stderr)
	require.FileExists(t, filepath.Join(dir, "new", "sub", "m.ecnn"))

	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, out := range []string{filepath.Join(file, "m.ecnn"), dir} {
		args[len(args)-1] = out
		_, stderr, err = clitest.Run(t, newTrainCmd(), args...)
		require.ErrorContains(t, err, "-o "+out, stderr)
		require.NotContains(t, stderr, "Epoch 1/1")
	}
}

// TestTrainKeepsCheckpoint checks that a new run without --resume moves the
// earlier checkpoint aside and says so, and that --resume refuses changed
// settings.
func TestTrainKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.ecnn")
	args := trainArgs(t, out)
	_, stderr, err := clitest.Run(t, newTrainCmd(), args...)
	require.NoError(t, err, stderr)
	first, err := os.ReadFile(out + ".ckpt")
	require.NoError(t, err)

	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--seed", "2")...)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "Kept the earlier run's checkpoint "+out+".ckpt as "+out+".ckpt.1")
	kept, err := os.ReadFile(out + ".ckpt.1")
	require.NoError(t, err)
	require.Equal(t, first, kept)
	require.FileExists(t, out+".ckpt")

	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, synth.Generate(other, 16, 4, 16, 3))
	for _, c := range []struct{ flag, value string }{
		{"--seed", "1"}, // the checkpoint is the seed-2 run's
		{"--data", filepath.Join(other, "train")},
		{"--arch", "seed-tutorial"},
		{"--image-size", "18"},
	} {
		_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--seed", "2", "--epochs", "2", "--resume", c.flag, c.value)...)
		require.ErrorContains(t, err, "made with "+c.flag, stderr)
		require.NotContains(t, stderr, "Epoch 2/2")
	}
	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--seed", "2", "--epochs", "2", "--resume")...)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "Epoch 2/2")
}

// TestTrainStopsOnNaN resumes a finished epoch with an absurd learning
// rate: the loss turns NaN in epoch 2, the run stops at once with a clear
// error, and the model of epoch 1 and the history are still written.
func TestTrainStopsOnNaN(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.ecnn")
	args := trainArgs(t, out)
	_, stderr, err := clitest.Run(t, newTrainCmd(), args...)
	require.NoError(t, err, stderr)
	o := outputsFor(out)
	for _, f := range []string{out, o.historyCSV, o.historyJSON, o.curves} {
		require.NoError(t, os.Remove(f))
	}

	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--resume", "--epochs", "3", "--lr", "1e12")...)
	require.ErrorContains(t, err, "loss became NaN", stderr)
	require.ErrorContains(t, err, "wrote "+out+" with the weights of epoch 1 (the best finite one)")
	require.NotContains(t, stderr, "Epoch 3/3")
	m, err := model.Load(out)
	require.NoError(t, err)
	require.Equal(t, 1, m.Provenance.Epochs)
	b, err := os.ReadFile(o.historyJSON)
	require.NoError(t, err)
	var h struct{ Epoch []int }
	require.NoError(t, json.Unmarshal(b, &h))
	require.Equal(t, []int{1}, h.Epoch)
	require.FileExists(t, o.curves)

	// Diverging in the first epoch writes no model and says so.
	require.NoError(t, os.Remove(out))
	args[len(args)-1] = filepath.Join(dir, "n.ecnn")
	_, stderr, err = clitest.Run(t, newTrainCmd(), append(args, "--lr", "1e12")...)
	require.ErrorContains(t, err, "no model was written", stderr)
	require.NoFileExists(t, filepath.Join(dir, "n.ecnn"))
}
