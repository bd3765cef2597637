package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/synth"
)

// TestOutputOverInputRefused checks that no command writes its output over
// one of its inputs, however the output names it: the same path, a
// relative path, a symlink or a hard link. The input is left untouched.
func TestOutputOverInputRefused(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	clitest.SaveUntrained(t, "m.ecnn", 1)
	require.NoError(t, os.WriteFile("c.table", []byte("calibration table"), 0o644))
	require.NoError(t, os.WriteFile("fleet.key", []byte("key"), 0o600))
	require.NoError(t, os.WriteFile("net.yaml", []byte("layers: []\n"), 0o644))
	require.NoError(t, os.Symlink("net.yaml", "net.history.json"))
	require.NoError(t, os.Symlink("m.ecnn", "link.ecnn"))
	require.NoError(t, os.Link("c.table", "hard.table"))
	require.NoError(t, synth.Generate("data", 2, 1, 16, 1))
	abs := filepath.Join(dir, "m.ecnn")

	for _, c := range []struct {
		name  string
		cmd   func() *cobra.Command
		input string
		args  []string
		want  string
	}{
		{"quantize -o model", newQuantizeCmd, "m.ecnn", []string{"--model", abs, "--data", "data/train", "-o", "./m.ecnn"}, "same file as --model"},
		{"quantize -o symlink to model", newQuantizeCmd, "m.ecnn", []string{"--model", "m.ecnn", "--data", "data/train", "-o", "link.ecnn"}, "same file as --model"},
		{"quantize -o calib table", newQuantizeCmd, "c.table", []string{"--model", "m.ecnn", "--calib", "c.table", "-o", "hard.table"}, "same file as --calib"},
		{"calib -o model", newCalibCmd, "m.ecnn", []string{"--model", "m.ecnn", "--data", "data/train", "-o", abs}, "same file as --model"},
		{"firmware build -o model", buildCmd, "m.ecnn", []string{"--model", "m.ecnn", "--key", "fleet.key", "--version", "1", "-o", "link.ecnn"}, "same file as --model"},
		{"firmware build -o key", buildCmd, "fleet.key", []string{"--model", "m.ecnn", "--key", "fleet.key", "--version", "1", "-o", "fleet.key"}, "same file as --key"},
		{"train -o spec", newTrainCmd, "net.yaml", []string{"--data", "data/train", "--spec", "net.yaml", "-o", "net.yaml"}, "same file as --spec"},
		{"train history over spec", newTrainCmd, "net.yaml", []string{"--data", "data/train", "--spec", "net.yaml", "-o", "net.ecnn"}, "-o net.history.json is the same file as --spec"},
		{"train -o inside data", newTrainCmd, "data/train/Car", []string{"--data", "data/train", "-o", "data/train/Car/m.ecnn"}, "inside --data"},
	} {
		before := snapshotPath(t, c.input)
		_, _, err := clitest.Run(t, c.cmd(), c.args...)
		require.ErrorContains(t, err, c.want, c.name)
		require.Equal(t, before, snapshotPath(t, c.input), "%s: the input changed", c.name)
	}
}

// snapshotPath is a file's content, or a folder's sorted entry names.
func snapshotPath(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	if !st.IsDir() {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return string(b)
	}
	entries, err := os.ReadDir(path)
	require.NoError(t, err)
	var names string
	for _, e := range entries {
		names += e.Name() + "\n"
	}
	return names
}
