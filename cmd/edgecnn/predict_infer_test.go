package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/synth"
)

// TestPredictAndInferJSONAgree: predict --json and infer --json print the
// same keys, with the probabilities keyed by label, for a float model.
func TestPredictAndInferJSONAgree(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.ecnn")
	clitest.SaveUntrained(t, model, 1)
	require.NoError(t, synth.Generate(filepath.Join(dir, "data"), 2, 1, 16, 1))
	images := filepath.Join(dir, "data", "valid")

	decode := func(stdout string) []map[string]any {
		var objs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var o map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &o), line)
			objs = append(objs, o)
		}
		return objs
	}
	pout, stderr, err := clitest.Run(t, newPredictCmd(), "--model", model, "--json", images)
	require.NoError(t, err, stderr)
	iout, stderr, err := clitest.Run(t, cli.NewInferCmd(), "--model", model, "--json", images)
	require.NoError(t, err, stderr)
	p, i := decode(pout), decode(iout)
	require.Len(t, p, 2)
	require.Len(t, i, 2)
	for k := range p {
		require.Equal(t, i[k]["file"], p[k]["file"])
		require.Equal(t, i[k]["label"], p[k]["label"])
		require.InDelta(t, i[k]["probability"], p[k]["probability"], 1e-4)
		pp, ip := p[k]["probabilities"].(map[string]any), i[k]["probabilities"].(map[string]any)
		require.Len(t, pp, 2)
		for _, label := range []string{"Car", "Truck"} {
			require.InDelta(t, ip[label], pp[label], 1e-4, label)
		}
	}
}

// TestEmptyFolderIsNamed: infer and predict on a folder without images
// name the folder.
func TestEmptyFolderIsNamed(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.ecnn")
	clitest.SaveUntrained(t, model, 1)
	empty := filepath.Join(dir, "no-photos")
	require.NoError(t, os.Mkdir(empty, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644))
	for _, c := range []func() *cobra.Command{cli.NewInferCmd, newPredictCmd} {
		_, _, err := clitest.Run(t, c(), "--model", model, empty)
		require.ErrorContains(t, err, empty+": no images found")
	}
}
