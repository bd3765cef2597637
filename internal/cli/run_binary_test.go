package cli

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/stretchr/testify/require"
)

var peakRSS = regexp.MustCompile(`peak RSS ([0-9.]+) MiB`)

// The static linux/arm64 build classifies a folder of car and truck photos
// under qemu (Cortex-A72, the Pi 4's core, NEON kernels) exactly as the
// native build does, with a model trained in the test.
func TestRunArm64UnderQemuMatchesNative(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model and builds two binaries; skipped with -short")
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 is not on PATH (apt-get install qemu-user)")
	}
	modelPath := clitest.TrainedModel(t)
	dir := t.TempDir()
	for _, f := range clitest.CarTruckImages(t, 4) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(filepath.Dir(f))+"-"+filepath.Base(f)), data, 0o644))
	}
	args := []string{"run", "--model", modelPath, "--camera", dir, "--json"}

	native := clitest.Build(t, clitest.DevicePkg, runtime.GOARCH)
	want, _ := clitest.RunBinary(t, nil, native, args...)
	arm := clitest.Build(t, clitest.DevicePkg, "arm64")
	got, stderr := clitest.RunBinary(t, []string{qemu, "-cpu", "cortex-a72"}, arm, args...)
	require.Contains(t, string(stderr), "neon kernels")

	wantLines, gotLines := parseRunLines(t, want), parseRunLines(t, got)
	require.Len(t, wantLines, 8)
	require.Len(t, gotLines, len(wantLines))
	labels := map[string]bool{}
	for i := range wantLines {
		labels[wantLines[i].Label] = true
		require.Equal(t, wantLines[i].File, gotLines[i].File)
		require.Equal(t, wantLines[i].Label, gotLines[i].Label, wantLines[i].File)
		require.InDelta(t, *wantLines[i].Probability, *gotLines[i].Probability, 1e-6, wantLines[i].File)
	}
	require.Len(t, labels, 2, "the trained model tells the photos apart")
}

// Peak RSS of the static build running seed-tutorial@128 over a folder.
func TestRunPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	modelPath := writeTestModel(t, 128)
	dir := clitest.WriteImages(t, 4)
	bin := clitest.Build(t, clitest.DevicePkg, runtime.GOARCH)
	_, stderr := clitest.RunBinary(t, nil, bin, "run", "--model", modelPath, "--camera", dir, "--json")
	m := peakRSS.FindSubmatch(stderr)
	require.NotNil(t, m, "%s", stderr)
	rss, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	t.Logf("peak RSS %.1f MiB", rss)
	require.LessOrEqual(t, rss, 16.0, "peak RSS goal for seed-tutorial@128 over a folder")
}

// A live camera (a command writing MJPEG forever) runs until SIGINT or
// SIGTERM, which stop it cleanly: exit status 0, a final summary, the RSS.
func TestRunStopsCleanlyOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	modelPath := writeTestModel(t, 32)
	img := clitest.FirstImage(t, clitest.WriteImages(t, 2))
	bin := clitest.Build(t, clitest.DevicePkg, runtime.GOARCH)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		camera := "cmd:while true; do cat " + img + "; sleep 0.01; done"
		cmd := exec.Command(bin, "run", "--model", modelPath, "--camera", camera, "--json")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		for i := 0; i < 3; i++ {
			require.True(t, sc.Scan(), "frame %d; stderr: %s", i, stderr.String())
		}
		require.NoError(t, cmd.Process.Signal(sig))
		for sc.Scan() {
		}
		require.NoError(t, cmd.Wait(), "%v: %s", sig, stderr.String())
		require.Contains(t, stderr.String(), "edgecnn: done:")
		require.Contains(t, stderr.String(), "peak RSS")
	}
}

// A command that exits is a lost camera: it is started again, and the run
// says so on stderr.
func TestRunReopensCommandThatExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	modelPath := writeTestModel(t, 32)
	img := clitest.FirstImage(t, clitest.WriteImages(t, 2))
	bin := clitest.Build(t, clitest.DevicePkg, runtime.GOARCH)
	out, stderr := clitest.RunBinary(t, nil, bin, "run", "--model", modelPath, "--camera", "cmd:cat "+img+"; sleep 0.05; cat "+img,
		"--json", "--frames", "4")
	require.Len(t, parseRunLines(t, out), 4)
	require.Contains(t, string(stderr), "camera lost: cmd:cat")
	require.Contains(t, string(stderr), "command exited")
	require.Contains(t, string(stderr), "reopening in 500ms")
	require.Contains(t, string(stderr), "reopened")
}
