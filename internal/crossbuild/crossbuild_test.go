package crossbuild

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/firmware"
)

func TestLocateSource(t *testing.T) {
	root, err := LocateSource(t.Context())
	require.NoError(t, err)
	abs, err := filepath.Abs("../..")
	require.NoError(t, err)
	require.Equal(t, abs, root)

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n\ngo 1.22\n"), 0o644))
	t.Chdir(other)
	_, err = LocateSource(t.Context())
	require.ErrorContains(t, err, `is module "example.com/other", not "`+ModulePath+`"`)

	t.Chdir(t.TempDir())
	_, err = LocateSource(t.Context())
	require.ErrorContains(t, err, "not inside the edgecnn source")
}

// TestDevice builds edgecnn-device for linux/arm64 from the source tree and
// checks it is a static arm64 executable.
func TestDevice(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles edgecnn-device; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "edgecnn-device")
	tg := firmware.Target{GOOS: "linux", GOARCH: "arm64"}
	var log bytes.Buffer
	require.NoError(t, Device(t.Context(), "../..", tg, out, &log), "%s", log.String())
	require.Contains(t, log.String(), "building edgecnn-device for linux/arm64")
	require.NoError(t, firmware.CheckBinary(out, tg))
}
