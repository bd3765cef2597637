package mender

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInstallModule(t *testing.T) {
	p := filepath.Join(t.TempDir(), "usr", "share", "mender", "modules", "v3", "edgecnn")
	installed, err := InstallModule(p, false)
	require.NoError(t, err)
	require.True(t, installed)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, ModuleScript, b)
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	require.NoError(t, os.Chmod(p, 0o644))
	installed, err = InstallModule(p, false)
	require.NoError(t, err)
	require.False(t, installed, "the same script is left in place")
	st, err = os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), st.Mode().Perm(), "but made executable again")

	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n# someone else's module\n"), 0o755))
	_, err = InstallModule(p, false)
	require.ErrorContains(t, err, "already exists and differs")
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(b), "someone else's module", "a different file is not replaced without force")
	installed, err = InstallModule(p, true)
	require.NoError(t, err)
	require.True(t, installed)
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, ModuleScript, b)
}
