package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/synth"
)

// archRun is one way of running edgecnn: a binary, natively or under qemu,
// and the int8 kernel path it must take there.
type archRun struct {
	name   string
	qemu   []string
	bin    string
	kernel string // the kernel path it must take (EDGECNN_KERNEL picks it)
}

// The int8 model's outputs on a whole validation set (the shared car-truck
// photos, or images synth draws when they are absent) are the same bytes
// with the reference kernels (amd64 purego), ARMv8.0 NEON (qemu cortex-a72,
// the Pi 4's core), SDOT (qemu cortex-a76, the Pi 5's), and the AVX2 and
// AVX-512 VNNI kernels where this CPU has them.
func TestInt8OutputsIdenticalAcrossArchitectures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model, builds three binaries and classifies hundreds of images under qemu; skipped with -short")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the reference runs are amd64 builds run natively")
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 is not on PATH (apt-get install qemu-user)")
	}
	images := crossArchImages(t)
	modelPath := clitest.TrainedModelOn(t, images)

	start := time.Now()
	native := clitest.Build(t, clitest.DevicePkg, "amd64")
	arm := clitest.Build(t, clitest.DevicePkg, "arm64")
	// clitest.Build passes the environment on to go build: the last build
	// takes the pure-Go reference kernels.
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -tags=purego"))
	purego := clitest.Build(t, clitest.DevicePkg, "amd64")
	t.Logf("builds: %v", time.Since(start).Round(time.Second))

	runs := []archRun{
		{"amd64 purego", nil, purego, "generic"},
		{"arm64 cortex-a72", []string{qemu, "-cpu", "cortex-a72"}, arm, "neon"},
		{"arm64 cortex-a76", []string{qemu, "-cpu", "cortex-a76"}, arm, "sdot"},
	}
	if cpu.X86.HasAVX2 {
		runs = append(runs, archRun{"amd64 avx2", nil, native, "avx2"})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI {
		runs = append(runs, archRun{"amd64 avx512vnni", nil, native, "avx512vnni"})
	}
	var want []InferLine
	for _, r := range runs {
		t.Setenv("EDGECNN_KERNEL", r.kernel)
		require.Equal(t, r.kernel, kernelPathOf(t, r), r.name)
		start := time.Now()
		stdout, _ := clitest.RunBinary(t, r.qemu, r.bin, "infer", "--model", modelPath, "--json", "--raw", "--threads", "2", images)
		got := parseInferLines(t, stdout)
		t.Logf("%s (%s kernels): %d images in %v", r.name, r.kernel, len(got), time.Since(start).Round(time.Millisecond))
		if want == nil {
			want = got
			continue
		}
		require.Len(t, got, len(want), r.name)
		for i := range want {
			require.Equal(t, want[i].File, got[i].File, "%s: line %d", r.name, i)
			require.Equal(t, want[i].Label, got[i].Label, "%s: %s", r.name, want[i].File)
			require.Equal(t, want[i].Raw, got[i].Raw, "%s: %s", r.name, want[i].File)
		}
	}

	files, err := imagefile.List(images)
	require.NoError(t, err)
	require.Len(t, want, len(files), "every validation image is classified")
	t.Logf("%d images: same order, labels and raw outputs on all %d runs", len(want), len(runs))
	labels := map[string]bool{}
	for _, l := range want {
		require.NotEmpty(t, l.Raw, l.File)
		labels[l.Label] = true
	}
	require.Len(t, labels, 2, "the trained model tells cars from trucks")
}

// crossArchImages is the labelled folder the cross-architecture test
// trains on and classifies: the shared car-truck validation photos, or,
// where ../shared/data is absent (a fresh CI machine), 250 cars and 250
// trucks that synth draws at 48x48, so the test never skips for want of data.
func crossArchImages(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(clitest.CarTruckValid); err == nil {
		return clitest.CarTruckValid
	}
	dir := t.TempDir()
	require.NoError(t, synth.Generate(dir, 1, 250, 48, 1))
	t.Logf("%s is absent: classifying images drawn by synth", clitest.CarTruckValid)
	return filepath.Join(dir, synth.ValidDir)
}

// kernelPathOf is the kernel path "edgecnn device info" reports for run r.
func kernelPathOf(t *testing.T, r archRun) string {
	t.Helper()
	stdout, _ := clitest.RunBinary(t, r.qemu, r.bin, "device", "info", "--json")
	var info struct {
		KernelPath string `json:"kernel_path"`
	}
	require.NoError(t, json.Unmarshal(stdout, &info), "%s", stdout)
	return info.KernelPath
}

// parseInferLines decodes the JSON lines of edgecnn infer --json.
func parseInferLines(t *testing.T, out []byte) []InferLine {
	t.Helper()
	var lines []InferLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l InferLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	return lines
}
