package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
	"github.com/edgecnn/edgecnn/train"
)

// writeTestModel saves an untrained seed-tutorial model, quantised to int8
// on random images (as edgecnn bench builds it), with labels Car and Truck.
func writeTestModel(t testing.TB, size int) string {
	t.Helper()
	m, err := pipeline.RandomModel("seed-tutorial", size, 2, 7, model.Int8)
	require.NoError(t, err)
	m.Labels = []string{"Car", "Truck"}
	path := filepath.Join(t.TempDir(), "model.q8.ecnn")
	require.NoError(t, model.Save(path, m))
	return path
}

// loadRuntime loads a model for the duration of the test.
func loadRuntime(t testing.TB, path string) *infer.Runtime {
	t.Helper()
	rt, err := infer.LoadFile(path, infer.Options{Threads: 1})
	require.NoError(t, err)
	t.Cleanup(rt.Close)
	return rt
}

// runLine is one line of edgecnn run --json.
type runLine struct {
	Frame       *uint64  `json:"frame"`
	Label       string   `json:"label"`
	Probability *float32 `json:"probability"`
	LatencyMS   *float64 `json:"latency_ms"`
	File        string   `json:"file"`
}

func parseRunLines(t testing.TB, out []byte) []runLine {
	t.Helper()
	var lines []runLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l runLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		require.NotNil(t, l.Frame, sc.Text())
		require.NotNil(t, l.Probability, sc.Text())
		require.NotNil(t, l.LatencyMS, sc.Text())
		lines = append(lines, l)
	}
	return lines
}

// inferLines runs edgecnn infer --json in-process.
func inferLines(t testing.TB, modelPath string, files []string) []InferLine {
	t.Helper()
	var out, errw bytes.Buffer
	rt := loadRuntime(t, modelPath)
	require.NoError(t, classifyFiles(rt, files, inferFormat{json: true}, &out, &errw))
	var lines []InferLine
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l InferLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		lines = append(lines, l)
	}
	return lines
}

func defaultRunOptions(modelPath, camera string) runOptions {
	return runOptions{model: modelPath, camera: camera, threads: 1, threshold: 0.5, hold: 500 * time.Millisecond, asJSON: true, stallTimeout: 5 * time.Second}
}

func TestRunFolderMatchesInfer(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 9)
	var out, errw bytes.Buffer
	require.NoError(t, runCamera(context.Background(), defaultRunOptions(modelPath, dir), &out, &errw))
	got := parseRunLines(t, out.Bytes())

	files, err := InferFiles([]string{dir})
	require.NoError(t, err)
	want := inferLines(t, modelPath, files)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, uint64(i), *got[i].Frame)
		require.Equal(t, want[i].File, got[i].File)
		require.Equal(t, want[i].Label, got[i].Label, want[i].File)
		require.Equal(t, want[i].Probability, *got[i].Probability, want[i].File)
	}
	require.Contains(t, errw.String(), "edgecnn: done: 9 frames")
	require.Contains(t, errw.String(), "0 dropped")
	require.Contains(t, errw.String(), "peak RSS")
}

func TestRunFramesLimitAndTextOutput(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 5)
	o := defaultRunOptions(modelPath, dir)
	o.asJSON, o.frames = false, 2
	var out, errw bytes.Buffer
	require.NoError(t, runCamera(context.Background(), o, &out, &errw))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	require.Regexp(t, `^0\t(Car|Truck)\t[0-9.]+\t[0-9.]+ ms\t.*\.png$`, lines[0])
}

func TestRunBadInput(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 2)
	cases := []struct {
		name string
		edit func(o *runOptions)
		want string
	}{
		{"missing model", func(o *runOptions) { o.model = filepath.Join(dir, "nope.ecnn") }, "nope.ecnn"},
		{"missing camera", func(o *runOptions) { o.camera = filepath.Join(dir, "missing") }, "no such folder, file or device"},
		{"no such device", func(o *runOptions) { o.camera = "/dev/video77" }, "/dev/video77"},
		{"bad size", func(o *runOptions) { o.cameraSize = "640by480" }, "want WIDTHxHEIGHT"},
		{"bad gpio spec", func(o *runOptions) { o.gpio = []string{"GPIO17"} }, "want PIN=CLASS"},
		{"unknown class", func(o *runOptions) { o.gpio = []string{"GPIO17=Bus"} }, `no class "Bus" (classes: Car, Truck)`},
		{"unknown pin", func(o *runOptions) { o.gpio = []string{"GPIO4242=Truck"} }, `no GPIO pin "GPIO4242"`},
		{"stall timeout", func(o *runOptions) { o.stallTimeout = -time.Second }, "--stall-timeout must not be negative"},
		{"raw frames over the pixel limit", func(o *runOptions) { o.camera, o.cameraFormat, o.cameraSize = "cmd:true", "yuv420", "10000x10000" },
			"cmd:true: frame size 10000x10000 is 95.4M pixels: too many pixels (the limit is 64.0M, --max-pixels)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := defaultRunOptions(modelPath, dir)
			c.edit(&o)
			err := runCamera(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestRunModelThatDoesNotFitFrames(t *testing.T) {
	net, err := train.Preset("seed-tutorial", 16, 16, 1, 2) // a grayscale model cannot take RGB frames
	require.NoError(t, err)
	m, err := net.ToModel([]string{"Car", "Truck"}, model.Preprocess{Height: 16, Width: 16, Channels: 1, Interpolation: "bilinear", Scale: 1.0 / 255})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "gray.ecnn")
	require.NoError(t, model.Save(path, m))
	err = runCamera(context.Background(), defaultRunOptions(path, clitest.WriteImages(t, 1)), &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "gray.ecnn")
	require.ErrorContains(t, err, "channel")
}

// A camera that cannot be opened after the pins were set up leaves them low
// and released.
func TestRunReleasesPinsOnFailure(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	pin := &gpiotest.Pin{N: "GPIO901", Num: 901, L: gpio.High}
	require.NoError(t, gpioreg.Register(pin))
	defer gpioreg.Unregister("GPIO901")
	o := defaultRunOptions(modelPath, "/dev/video78")
	o.gpio = []string{"GPIO901=Truck"}
	err := runCamera(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "/dev/video78")
	require.Equal(t, gpio.Low, pin.Read())
}

// GPIO pins follow the classes seen over a folder.
func TestRunDrivesRegisteredPin(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 4)
	files, err := InferFiles([]string{dir})
	require.NoError(t, err)
	want := inferLines(t, modelPath, files)
	seen := map[string]bool{}
	for _, l := range want {
		seen[l.Label] = true
	}
	for _, label := range []string{"Car", "Truck"} {
		pin := &recordPin{Pin: gpiotest.Pin{N: "GPIO902", Num: 902}}
		require.NoError(t, gpioreg.Register(pin))
		o := defaultRunOptions(modelPath, dir)
		o.gpio, o.hold = []string{"GPIO902=" + label}, time.Hour
		require.NoError(t, runCamera(context.Background(), o, &bytes.Buffer{}, &bytes.Buffer{}))
		gpioreg.Unregister("GPIO902")
		require.Equal(t, seen[label], pin.wentHigh, "pin for %s", label)
		require.Equal(t, gpio.Low, pin.Read(), "released at exit")
	}
}

// recordPin remembers whether it was ever driven high.
type recordPin struct {
	gpiotest.Pin
	wentHigh bool
}

func (p *recordPin) Out(l gpio.Level) error {
	p.wentHigh = p.wentHigh || l == gpio.High
	return p.Pin.Out(l)
}
