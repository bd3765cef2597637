package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
)

// rootCmd is the device command tree of edgecnn-device.
var rootCmd = NewDeviceRoot()

func TestVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/edgecnn/edgecnn", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "9e8aa63"}, {Key: "vcs.time", Value: "2026-12-05T08:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	require.Equal(t, "v1.2.0, revision 9e8aa63+modified (2026-12-05T08:00:00Z), go1.26.0", version(bi, true))
	require.Equal(t, "(devel), go1.26.0", version(&debug.BuildInfo{GoVersion: "go1.26.0"}, true))

	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"--version"})
	t.Cleanup(func() {
		rootCmd.SetOut(nil)
		rootCmd.SetArgs(nil)
		rootCmd.Flags().Set("version", "false")
	})
	require.NoError(t, rootCmd.Execute())
	require.Regexp(t, `^edgecnn-device version \S.*go1\.\d+`, out.String())
}

// TestPanicIsOneLine: a panic in a command is reported as an internal
// error in one line with its own exit code, not a goroutine trace.
func TestPanicIsOneLine(t *testing.T) {
	c := &cobra.Command{Use: "boom", SilenceErrors: true, SilenceUsage: true, RunE: func(*cobra.Command, []string) error {
		var m map[string]int
		m["x"] = 1 // assignment to entry in nil map
		return nil
	}}
	c.SetArgs(nil)
	var stderr bytes.Buffer
	require.Equal(t, internalErrorCode, Execute(c, &stderr))
	require.Regexp(t, `^boom: internal error \(a bug; please report it with the command line\): assignment to entry in nil map\n$`, stderr.String())
}

// TestRunKernelsOfTheModelsDType: run names the float code for a float32
// model and the int8 kernel set for an int8 one.
func TestRunKernelsOfTheModelsDType(t *testing.T) {
	for dtype, want := range map[model.DType]string{model.Float32: FloatKernels, model.Int8: infer.KernelPath()} {
		m, err := pipeline.RandomModel("seed-exercise", 16, 2, 1, dtype)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "m.ecnn")
		require.NoError(t, model.Save(path, m))
		o := defaultRunOptions(path, clitest.WriteImages(t, 1))
		var out, errw bytes.Buffer
		require.NoError(t, runCamera(context.Background(), o, &out, &errw))
		require.Contains(t, errw.String(), ", "+want+" kernels,", dtype)
	}
}
