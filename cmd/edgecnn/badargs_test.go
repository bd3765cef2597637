package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/synth"
)

// TestEveryCommandRefusesBadArguments runs every command of the tree (so a
// new command is covered without editing this test) through the built
// binary over a table of bad arguments: each run must exit non-zero with a
// one-line message as the last line of stderr (after any warnings), and
// never panic. The arguments a command
// needs are filled in with good values by flag name, so each run fails on
// the bad argument, not on a missing one.
func TestEveryCommandRefusesBadArguments(t *testing.T) {
	t.Run("edgecnn", func(t *testing.T) {
		refuseBadArguments(t, clitest.Build(t, clitest.WorkstationPkg, runtime.GOARCH), rootCmd)
	})
	t.Run("edgecnn-device", func(t *testing.T) {
		refuseBadArguments(t, clitest.Build(t, clitest.DevicePkg, runtime.GOARCH), cli.NewDeviceRoot())
	})
}

// refuseBadArguments is TestEveryCommandRefusesBadArguments for the binary
// bin built from the command tree root.
func refuseBadArguments(t *testing.T, bin string, root *cobra.Command) {
	version, err := exec.Command(bin, "--version").CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot run the built %s binary on this machine (under QEMU without binfmt_misc)", runtime.GOARCH)
	}
	require.NoError(t, err, "%s", version)
	require.Regexp(t, `^`+root.Name()+` version \S`, string(version))

	dir := t.TempDir()
	model := filepath.Join(dir, "m.ecnn")
	clitest.SaveUntrained(t, model, 1)
	require.NoError(t, synth.Generate(filepath.Join(dir, "data"), 2, 1, 16, 1))
	junk := filepath.Join(dir, "junk.ecnn")
	require.NoError(t, os.WriteFile(junk, []byte("not a model\n"), 0o644))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	good := map[string]string{ // good values of string flags, by name
		"model": model, "float": model, "int8": model, "data": filepath.Join(dir, "data", "train"),
		"valid": filepath.Join(dir, "data", "valid"), "camera": filepath.Join(dir, "data", "valid", "Car"),
	}

	for _, c := range clitest.AllCommands(root) {
		path := strings.Fields(c.CommandPath())[1:]
		out := filepath.Join(dir, "out", strings.Join(append([]string{"root"}, path...), "-"))
		var base []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if v, ok := good[f.Name]; ok && f.Value.Type() == "string" {
				base = append(base, "--"+f.Name, v)
			}
			if f.Name == "output" {
				base = append(base, "-o", out)
			}
		})
		if c.ValidateArgs(nil) != nil { // the command takes images or a bundle
			base = append(base, good["camera"])
		}
		type row struct {
			args  []string
			names string // the flag the message must name, if any
		}
		bad := []row{{[]string{"--no-such-flag"}, "--no-such-flag"}, {[]string{"extra", "arguments", "here"}, ""}}
		for _, name := range []string{"model", "float", "int8", "data", "valid"} {
			if f := c.Flags().Lookup(name); f != nil && f.Value.Type() == "string" {
				for _, v := range []string{junk, empty, filepath.Join(dir, "missing")} {
					bad = append(bad, row{[]string{"--" + name, v}, ""})
				}
			}
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !cli.IsNumericFlag(f) {
				return
			}
			for _, v := range append([]string{"NaN", "1e400"}, badValues[f.Name]...) {
				bad = append(bad, row{[]string{"--" + f.Name, v}, "--" + f.Name})
			}
		})
		t.Run(c.CommandPath(), func(t *testing.T) {
			t.Parallel()
			for _, b := range bad {
				checkBadArgs(t, bin, root.Name(), dir, append(append(append([]string{}, path...), base...), b.args...), b.names)
			}
		})
	}
}

// checkBadArgs runs the binary called name with args, which hold a bad
// argument: it must exit non-zero with its error as the last line of
// stderr, naming flag when flag is set, and without a panic.
func checkBadArgs(t *testing.T, bin, name, dir string, args []string, flag string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	msg, line := stderr.String(), name+" "+strings.Join(args, " ")
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%s: want a non-zero exit, got %v\nstderr: %s", line, err, msg)
	require.NotContains(t, msg, "goroutine ", "%s panicked", line)
	require.NotContains(t, msg, "internal error", "%s panicked", line)
	// Warnings and progress may come first; the error is the last line, alone.
	require.Regexp(t, `(^|\n)`+regexp.QuoteMeta(name)+`: [^\n]+\n$`, msg, "%s: want the error in one last line on stderr", line)
	require.NotRegexp(t, `(^|\n)(\t|panic)`, msg, "%s: a trace on stderr", line)
	if flag != "" {
		require.Contains(t, msg, flag, "%s: the message must name the flag", line)
	}
}

// badValues are out-of-range values of numeric flags, by name (written
// out, not derived from flagRanges, so that a missing rule is caught).
var badValues = map[string][]string{
	"batch-size": {"0", "-1", "100000000"}, "batches": {"0", "-1"}, "classes": {"0", "-2", "100000000"},
	"epochs": {"0", "-1"}, "frames": {"-1"}, "warmup": {"-1"},
	"image-size": {"0", "-1", "4097", "100000"}, "size": {"0", "-1", "5000"},
	"frame-width": {"-1", "100000"}, "frame-height": {"-1", "100000"},
	"threads": {"-1", "257", "1,-1", "1,300"}, "workers": {"-1", "257"},
	"samples": {"-1"}, "probes": {"-1"}, "report-images": {"-1"}, "layer-images": {"-1"},
	"train": {"0", "-1"}, "valid": {"-1"}, "patience": {"-1"},
	"lr": {"-0.1"}, "epsilon": {"-1"}, "momentum": {"-0.5", "1.5"}, "min-delta": {"-1"},
	"validation-split": {"-0.1", "1", "2"}, "percentile": {"-1", "101"}, "threshold": {"-0.1", "1.1"},
	"fps": {"-1"}, "max-drop": {"-1", "101"}, "min-agreement": {"-0.1", "1.1"},
	"http-fps": {"0", "-1"}, "below": {"-0.1", "1.1"}, "quality": {"0", "101"}, "count": {"-1"},
	"max-pixels": {"0", "-1"}, "alpha": {"0", "-1"}, "seed": {"1.5"}, "scale": {"0", "-1"},
	"bn-momentum": {"-0.1", "1"}, "bn-recalibrate": {"-1"},
}

// TestEveryNumericFlagHasARange: a numeric flag of any command without a
// flagRanges entry would escape checkFlags (and the bad-arguments table).
func TestEveryNumericFlagHasARange(t *testing.T) {
	for _, c := range clitest.AllCommands(rootCmd) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if cli.IsNumericFlag(f) {
				require.True(t, cli.HasFlagRange(f.Name), "%s --%s has no entry in flagRanges", c.CommandPath(), f.Name)
				require.NotEmpty(t, badValues[f.Name], "%s --%s has no bad values in the test table", c.CommandPath(), f.Name)
			}
		})
	}
}
