package firmware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/model"
)

// Real bundles are built once per test binary and target: cross-compiling
// edgecnn-device takes tens of seconds. EDGECNN_TEST_BIN_<GOARCH> (for
// example EDGECNN_TEST_BIN_ARM64) names a prebuilt edgecnn-device to pack
// instead.
var built = struct {
	sync.Mutex
	dir     string
	bundles map[string]realBuild
}{bundles: map[string]realBuild{}}

type realBuild struct {
	bundle, binary, model string
	err                   error
}

// realBundle builds (once) a bundle for target with the tiny probed model,
// and returns it with the binary and model it holds.
func realBundle(t *testing.T, target string) realBuild {
	if testing.Short() {
		t.Skip("short mode: no cross-compiled edgecnn")
	}
	built.Lock()
	defer built.Unlock()
	if b, ok := built.bundles[target]; ok {
		require.NoError(t, b.err, "building the %s bundle", target)
		return b
	}
	b := buildReal(t, target)
	built.bundles[target] = b
	require.NoError(t, b.err, "building the %s bundle", target)
	return b
}

func buildReal(t *testing.T, target string) (b realBuild) {
	if built.dir == "" {
		if built.dir, b.err = os.MkdirTemp("", "edgecnn-fwtest-*"); b.err != nil {
			return b
		}
	}
	tg, err := ParseTarget(target)
	if err != nil {
		return realBuild{err: err}
	}
	dir := filepath.Join(built.dir, strings.ReplaceAll(target, "/", "-"))
	if b.err = os.MkdirAll(dir, 0o755); b.err != nil {
		return b
	}
	b.model = filepath.Join(dir, "tiny.ecnn")
	if b.err = model.Save(b.model, tinyModel(t, []float32{0.25, 0.75})); b.err != nil {
		return b
	}
	b.bundle = filepath.Join(dir, "tiny-1.0.0.ecfw")
	bin := os.Getenv("EDGECNN_TEST_BIN_" + strings.ToUpper(tg.GOARCH))
	if bin == "" {
		bin = filepath.Join(dir, "built-"+BinaryFile)
		if b.err = goBuild(t, "./cmd/edgecnn-device", tg, bin); b.err != nil {
			return b
		}
	}
	_, b.err = Build(BuildOptions{Model: b.model, Target: tg, Key: testKey, Version: "1.0.0", Binary: bin, Output: b.bundle})
	if b.err != nil {
		return b
	}
	b.binary = filepath.Join(dir, BinaryFile)
	_, b.err = verifyFile(b.bundle, testPub, func(f File, r io.Reader) error {
		if f.Path != BinaryFile {
			return nil
		}
		return writeSynced(b.binary, 0o755, r, nil)
	})
	return b
}

// goBuild builds the module's command package pkg for tg into out, static
// and stripped, as the edgecnn command's firmware build does.
func goBuild(t *testing.T, pkg string, tg Target, out string) error {
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = ".." // the module root
	cmd.Env = append(os.Environ(), tg.Env()...)
	if log, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, tg, err, log)
	}
	return nil
}

// removeBuilt deletes the cached builds (from TestMain).
func removeBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// buildWith packs an existing binary with a model into a bundle.
func buildWith(t *testing.T, bin string, m *model.Model, version, deviceRoot string) string {
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.ecnn")
	require.NoError(t, model.Save(mp, m))
	out := filepath.Join(dir, version+".ecfw")
	_, err := Build(BuildOptions{Model: mp, Target: HostTarget(), Key: testKey, Version: version,
		Binary: bin, DeviceRoot: deviceRoot, Output: out})
	require.NoError(t, err)
	return out
}

// TestRealBundle builds a bundle with the real cross-compiled edgecnn and
// installs it: the new binary's selftest must pass for a good model, fail
// for a model whose stored probe disagrees, and say so for a model without
// probes.
func TestRealBundle(t *testing.T) {
	rb := realBundle(t, HostTarget().String())
	v, err := Verify(rb.bundle, testPub)
	require.NoError(t, err)
	m := v.Manifest
	require.Equal(t, HostTarget(), m.Target)
	tiny := tinyModel(t, []float32{0.25, 0.75})
	require.Equal(t, ModelFacts{Name: "tiny", DType: model.Float32, Labels: tiny.Labels, InputWidth: 4, InputHeight: 4, InputChannels: 3,
		Probes: 1, Parity: tiny.Parity}, m.Model)
	require.NoError(t, CheckBinary(rb.binary, HostTarget()))

	root := filepath.Join(t.TempDir(), "root")
	res, err := install(t, root, rb.bundle, nil)
	require.NoError(t, err)
	require.Equal(t, "passed", res.SelfCheck)
	require.Contains(t, res.SelfCheckLog, "1 stored probes match")

	_, err = install(t, root, buildWith(t, rb.binary, tinyModel(t, []float32{0.75, 0.25}), "2.0.0", ""), nil)
	require.ErrorContains(t, err, "self-check of release 2.0.0 failed")
	cur, _ := readLink(root, CurrentLink)
	require.Equal(t, "1.0.0", cur)

	res, err = install(t, root, buildWith(t, rb.binary, tinyModel(t, nil), "3.0.0", ""), nil)
	require.NoError(t, err)
	require.Contains(t, res.SelfCheckLog, "stores no probes")
}

func TestBuildRefusesBadInputs(t *testing.T) {
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.ecnn")
	require.NoError(t, model.Save(mp, tinyModel(t, nil)))
	script := filepath.Join(dir, "edgecnn")
	require.NoError(t, os.WriteFile(script, []byte(fakeBinary), 0o755))
	opt := BuildOptions{Model: mp, Target: HostTarget(), Key: testKey, Version: "1.0.0", Binary: script, Output: filepath.Join(dir, "b.ecfw")}
	_, err := Build(opt)
	require.ErrorContains(t, err, "not an ELF executable")

	self, err := os.Executable()
	require.NoError(t, err)
	opt.Binary = self
	opt.Target = Target{GOOS: "linux", GOARCH: "arm64"}
	if HostTarget().GOARCH == "arm64" {
		opt.Target = Target{GOOS: "linux", GOARCH: "amd64"}
	}
	_, err = Build(opt)
	require.ErrorContains(t, err, "target "+opt.Target.String()+" needs")

	opt.Target = HostTarget()
	opt.Config = &Config{Camera: "0", GPIO: []GPIORule{{Pin: "GPIO17", Label: "Bus"}}}
	_, err = Build(opt)
	require.ErrorContains(t, err, `config: gpio rule 1: label "Bus"`)

	opt.Config = nil
	opt.Version = "../1"
	_, err = Build(opt)
	require.ErrorContains(t, err, "version")

	opt.Version = "1.0.0"
	opt.Model = filepath.Join(dir, "missing.ecnn")
	_, err = Build(opt)
	require.ErrorContains(t, err, "missing.ecnn")
	_, err = os.Stat(opt.Output)
	require.True(t, os.IsNotExist(err), "a refused build wrote its output")
}

// run runs a real binary and returns stdout; failures include stderr.
func run(t *testing.T, wantOK bool, name string, args ...string) (string, string) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if wantOK {
		require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), stderr.String())
	} else {
		require.Error(t, err, "%s %s succeeded", name, strings.Join(args, " "))
	}
	return stdout.String(), stderr.String()
}

// TestCLI drives the firmware commands of the real binaries: keygen, build
// (with a YAML config) and verify of the workstation's edgecnn; install,
// status and rollback of edgecnn-device; and the systemd unit of the
// installed release through systemd-analyze.
func TestCLI(t *testing.T) {
	dev := realBundle(t, HostTarget().String()).binary
	dir := t.TempDir()
	bin := filepath.Join(dir, "edgecnn")
	require.NoError(t, goBuild(t, "./cmd/edgecnn", HostTarget(), bin))
	root := filepath.Join(dir, "root")
	key := filepath.Join(dir, "fleet.key")
	run(t, true, bin, "firmware", "keygen", "-o", key)
	_, stderr := run(t, false, bin, "firmware", "keygen", "-o", key)
	require.Contains(t, stderr, "already exists")

	mp := filepath.Join(dir, "tiny.ecnn")
	require.NoError(t, model.Save(mp, tinyModel(t, []float32{0.25, 0.75})))
	cfg := filepath.Join(dir, "device.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("camera: \"cmd:rpicam-vid -t 0 --codec mjpeg -o -\"\nthreads: 2\nthreshold: 0.8\ngpio:\n  - {pin: GPIO17, label: Truck}\n"), 0o644))
	bundle := func(version string) string {
		out := filepath.Join(dir, version+".ecfw")
		run(t, true, bin, "firmware", "build", "--model", mp, "--target", HostTarget().String(), "--binary", dev,
			"--key", key, "--version", version, "--config", cfg, "--device-root", root, "-o", out)
		return out
	}
	b1 := bundle("1.0.0")
	stdout, _ := run(t, true, bin, "firmware", "verify", "--pub", key+".pub", b1, "--json")
	var m Manifest
	require.NoError(t, json.Unmarshal([]byte(stdout), &m))
	require.Equal(t, "1.0.0", m.Version)
	require.Equal(t, root, m.DeviceRoot)

	bad := filepath.Join(dir, "bad.ecfw")
	b, err := os.ReadFile(b1)
	require.NoError(t, err)
	b[len(b)/2] ^= 1 // in the binary
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	_, stderr = run(t, false, bin, "firmware", "verify", "--pub", key+".pub", bad)
	require.Contains(t, stderr, BinaryFile+": sha256 mismatch")

	run(t, true, dev, "firmware", "install", "--pub", key+".pub", "--root", root, b1)
	stdout, _ = run(t, true, dev, "firmware", "install", "--pub", key+".pub", "--root", root, b1)
	require.Contains(t, stdout, "already current")
	run(t, true, dev, "firmware", "install", "--pub", key+".pub", "--root", root, bundle("1.0.1"))
	stdout, _ = run(t, true, dev, "firmware", "status", "--root", root, "--json")
	var st Status
	require.NoError(t, json.Unmarshal([]byte(stdout), &st))
	require.Equal(t, "1.0.1", st.Current)
	require.Equal(t, "1.0.0", st.Previous)
	require.Len(t, st.Releases, 2)

	run(t, true, dev, "firmware", "rollback", "--root", root)
	stdout, _ = run(t, true, dev, "firmware", "status", "--root", root)
	require.Contains(t, stdout, "current 1.0.0, previous 1.0.1")

	unit := filepath.Join(root, CurrentLink, UnitFile)
	u, err := os.ReadFile(unit)
	require.NoError(t, err)
	require.Contains(t, string(u), `--camera "cmd:rpicam-vid -t 0 --codec mjpeg -o -" --threshold 0.8 --threads 2 --gpio GPIO17=Truck`)
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: unit not verified")
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	require.NoError(t, err, string(out))
	require.NotContains(t, string(out), UnitFile, "systemd-analyze warned about the unit")
}

// TestArm64UnderQemu installs the linux/arm64 bundle from an amd64 machine
// with the self-check run under qemu-aarch64, then checks the arm64 binary
// classifies like the host one.
func TestArm64UnderQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not installed")
	}
	if HostTarget().GOARCH == "arm64" {
		t.Skip("already on arm64")
	}
	rb := realBundle(t, "linux/arm64")
	host := realBundle(t, HostTarget().String())
	root := filepath.Join(t.TempDir(), "root")
	res, err := Install(t.Context(), rb.bundle, InstallOptions{Root: root, Pub: testPub, ForceArch: true,
		ExecWrapper: []string{qemu, "-cpu", "cortex-a72"}})
	require.NoError(t, err)
	require.Equal(t, "passed", res.SelfCheck)
	require.Contains(t, res.SelfCheckLog, "1 stored probes match")

	// The same answers from both binaries: selftest on a model without
	// probes (a generated image), and infer on a PNG.
	dir := t.TempDir()
	ramp := filepath.Join(dir, "ramp.ecnn")
	require.NoError(t, model.Save(ramp, rampModel(t)))
	armBin := filepath.Join(root, CurrentLink, BinaryFile)
	arm, _ := run(t, true, qemu, "-cpu", "cortex-a72", armBin, "selftest", "--model", ramp, "--json")
	amd, _ := run(t, true, host.binary, "selftest", "--model", ramp, "--json")
	var a, h map[string]any
	require.NoError(t, json.Unmarshal([]byte(arm), &a))
	require.NoError(t, json.Unmarshal([]byte(amd), &h))
	require.Equal(t, "generated-input", h["check"])
	require.Equal(t, h["label"], a["label"])
	require.InDelta(t, h["probability"], a["probability"], 1e-6) // arm64 fuses multiply-adds

	// The bundled binary must have the infer command the device loop and
	// this comparison use.
	run(t, true, host.binary, "infer", "--help")
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	imgPath := filepath.Join(dir, "frame.png")
	require.NoError(t, os.WriteFile(imgPath, buf.Bytes(), 0o644))
	arm, _ = run(t, true, qemu, "-cpu", "cortex-a72", armBin, "infer", "--model", ramp, "--json", imgPath)
	amd, _ = run(t, true, host.binary, "infer", "--model", ramp, "--json", imgPath)
	// Float models may differ in the last bit: arm64 fuses multiply-adds.
	var ia, ih struct {
		Label         string
		Probabilities map[string]float64
	}
	require.NoError(t, json.Unmarshal([]byte(arm), &ia))
	require.NoError(t, json.Unmarshal([]byte(amd), &ih))
	require.NotEmpty(t, ih.Label)
	require.Equal(t, ih.Label, ia.Label)
	require.Len(t, ia.Probabilities, 2)
	for k, p := range ih.Probabilities {
		require.InDelta(t, p, ia.Probabilities[k], 1e-6, k)
	}
}
