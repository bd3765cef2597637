package main

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

	"github.com/stretchr/testify/require"
)

// buildEdgecnn builds the cgo-free static binary for goarch.
func buildEdgecnn(t *testing.T, goarch string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "edgecnn-"+goarch)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// runBinary runs the binary (through qemu when given) and returns stdout
// and stderr.
func runBinary(t *testing.T, qemu []string, bin string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	argv := append(append(qemu, bin), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	require.NoError(t, cmd.Run(), "%s", e.String())
	return o.Bytes(), e.Bytes()
}

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
	modelPath := trainedModel(t)
	dir := t.TempDir()
	for _, f := range carTruckImages(t, 4) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(filepath.Dir(f))+"-"+filepath.Base(f)), data, 0o644))
	}
	args := []string{"run", "--model", modelPath, "--camera", dir, "--json"}

	native := buildEdgecnn(t, runtime.GOARCH)
	want, _ := runBinary(t, nil, native, args...)
	arm := buildEdgecnn(t, "arm64")
	got, stderr := runBinary(t, []string{qemu, "-cpu", "cortex-a72"}, arm, args...)
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
	dir := writeTestImages(t, 4)
	bin := buildEdgecnn(t, runtime.GOARCH)
	_, stderr := runBinary(t, nil, bin, "run", "--model", modelPath, "--camera", dir, "--json")
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
	img := firstImage(t, writeTestImages(t, 2))
	bin := buildEdgecnn(t, runtime.GOARCH)
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
	img := firstImage(t, writeTestImages(t, 2))
	bin := buildEdgecnn(t, runtime.GOARCH)
	out, stderr := runBinary(t, nil, bin, "run", "--model", modelPath, "--camera", "cmd:cat "+img+"; sleep 0.05; cat "+img,
		"--json", "--frames", "4")
	require.Len(t, parseRunLines(t, out), 4)
	require.Contains(t, string(stderr), "camera lost: cmd:cat")
	require.Contains(t, string(stderr), "command exited")
	require.Contains(t, string(stderr), "reopening in 500ms")
	require.Contains(t, string(stderr), "reopened")
}

// firstImage returns a JPEG from a folder made by writeTestImages.
func firstImage(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*.jpg"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return m[0]
}
