package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/stretchr/testify/require"
)

func TestGenDataCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, _, err := clitest.Run(t, newGenDataCmd(), "-o", dir, "--train", "3", "--valid", "2", "--size", "16", "--seed", "5", "--json")
	require.NoError(t, err)

	var r genDataReport
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, 10, r.Images)
	require.Equal(t, []string{"Car", "Truck"}, r.Classes)
	for split, n := range map[string]int{"train": 3, "valid": 2} {
		for _, class := range r.Classes {
			files, err := os.ReadDir(filepath.Join(dir, split, class))
			require.NoError(t, err)
			require.Len(t, files, n)
		}
	}
}

func TestGenDataCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--train", "3"},
		{"-o", t.TempDir(), "--size", "2"},
		{"-o", t.TempDir(), "--valid", "0"},
	} {
		_, _, err := clitest.Run(t, newGenDataCmd(), args...)
		require.Error(t, err, "%v", args)
	}
}
