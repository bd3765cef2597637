package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// commandCamera is a command camera writing a JPEG every 20 ms forever.
func commandCamera(t *testing.T) string {
	return "cmd:while true; do cat " + clitest.FirstImage(t, clitest.WriteImages(t, 2)) + "; sleep 0.02; done"
}

// startCapture runs edgecnn capture (fresh flags) in the background.
func startCapture(ctx context.Context, stdin io.Reader, args ...string) (stderr *syncBuffer, done <-chan error) {
	stderr = &syncBuffer{}
	ch := make(chan error, 1)
	c := NewCaptureCmd()
	c.SetIn(stdin)
	c.SetOut(io.Discard)
	c.SetErr(stderr)
	c.SetArgs(args)
	go func() { ch <- c.ExecuteContext(ctx) }()
	return stderr, ch
}

// wait returns the command's error, failing after a minute.
func wait(t *testing.T, done <-chan error, stderr *syncBuffer) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("capture did not end: %s", stderr)
		return nil
	}
}

// jpegs lists DIR/label/*.jpg and checks each is w x h.
func jpegs(t *testing.T, dir, label string, w, h int) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, label, "*.jpg"))
	require.NoError(t, err)
	for _, f := range m {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err, f)
		require.Equal(t, [2]int{w, h}, [2]int{cfg.Width, cfg.Height}, f)
	}
	return m
}

// Enter saves under the first label, a typed word under that word; the
// images have the model's input size; a file already there is kept.
func TestCaptureOnKeys(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(out, "Car"), 0o755))
	mine := filepath.Join(out, "Car", "notes.txt")
	require.NoError(t, os.WriteFile(mine, []byte("not replaced"), 0o644))
	stderr, done := startCapture(context.Background(), strings.NewReader("\nTruck\n\n"), "--camera", commandCamera(t),
		"--out", out, "--label", "Car", "--model", writeTestModel(t, 32), "--count", "3")
	require.NoError(t, wait(t, done, stderr), stderr.String())
	require.Len(t, jpegs(t, out, "Car", 32, 32), 2)
	require.Len(t, jpegs(t, out, "Truck", 32, 32), 1)
	b, err := os.ReadFile(mine)
	require.NoError(t, err)
	require.Equal(t, "not replaced", string(b))
	require.Contains(t, stderr.String(), "saved 3 images")
}

func TestCaptureEveryInterval(t *testing.T) {
	out := t.TempDir()
	stderr, done := startCapture(context.Background(), strings.NewReader(""), "--camera", commandCamera(t), "--out", out,
		"--label", "Empty", "--image-size", "24", "--interpolation", "nearest", "--every", "30ms", "--count", "3")
	require.NoError(t, wait(t, done, stderr), stderr.String())
	require.Len(t, jpegs(t, out, "Empty", 24, 24), 3)
}

// A press of a push button on (fake) GPIO27 saves a frame.
func TestCaptureOnButton(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO27", Num: 27, EdgesChan: make(chan gpio.Level)}
	require.NoError(t, gpioreg.Register(pin))
	defer gpioreg.Unregister("GPIO27")
	out := t.TempDir()
	stderr, done := startCapture(context.Background(), strings.NewReader(""), "--camera", commandCamera(t), "--out", out,
		"--label", "Truck", "--image-size", "16", "--button", "GPIO27", "--count", "1")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		pin.Lock()
		pulled := pin.P == gpio.PullUp
		pin.Unlock()
		if pulled {
			break
		}
		require.True(t, time.Now().Before(deadline), "the button was never set up: %s", stderr)
	}
	pin.EdgesChan <- gpio.Low
	require.NoError(t, wait(t, done, stderr), stderr.String())
	require.Len(t, jpegs(t, out, "Truck", 16, 16), 1)
}

// The live page of capture has a button per class (the labels given and
// the model's); pressing one saves a frame under that class.
func TestCaptureFromLivePage(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr, done := startCapture(ctx, strings.NewReader(""), "--camera", commandCamera(t), "--out", out,
		"--label", "Empty", "--model", writeTestModel(t, 32), "--http", "127.0.0.1:0")
	url := waitForPage(t, stderr, done)
	var st struct {
		CaptureLabels []string `json:"capture_labels"`
		Frames        uint64   `json:"frames"`
	}
	getJSON(t, url+"api/status", &st)
	require.Equal(t, []string{"Empty", "Car", "Truck"}, st.CaptureLabels)
	resp, err := http.Post(url+"api/capture", "application/json", strings.NewReader(`{"label":"Truck"}`))
	require.NoError(t, err)
	var saved struct{ File string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&saved))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, filepath.Join(out, "Truck"), filepath.Dir(saved.File))
	require.Len(t, jpegs(t, out, "Truck", 32, 32), 1)
	getJSON(t, url+"api/status", &st)
	require.Positive(t, st.Frames)
	cancel()
	require.NoError(t, wait(t, done, stderr))
}

func TestCaptureFlagErrors(t *testing.T) {
	dir := clitest.WriteImages(t, 2)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--label", "Car"}, "give --model, or --image-size N"},
		{[]string{"--label", "Car", "--image-size", "8", "--model", "m.ecnn"}, "give one"},
		{[]string{"--label", "../up", "--image-size", "8"}, "--label"},
		{[]string{"--label", "Car", "--image-size", "8", "--quota", "big"}, `--quota: "big"`},
		{[]string{"--label", "Car", "--image-size", "8", "--interpolation", "cubic"}, "interpolation"},
		{[]string{"--label", "Car", "--image-size", "8", "--every", "-1s"}, "must not be negative"},
		{[]string{"--label", "Car", "--image-size", "8", "--button", "GPIO99"}, `no GPIO pin "GPIO99"`},
		{[]string{"--label", "Car", "--model", filepath.Join(dir, "missing.ecnn")}, "missing.ecnn"},
	} {
		args := append([]string{"--camera", dir, "--out", t.TempDir()}, c.args...)
		_, _, err := clitest.Run(t, NewCaptureCmd(), args...)
		require.ErrorContains(t, err, c.want, "%v", c.args)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "4096": 4096, "500MiB": 500 << 20, "2G": 2 << 30, "1.5k": 1536, "100kb": 100 << 10} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "lots", "1X", "1e30G"} {
		_, err := parseBytes(in)
		require.Error(t, err, in)
	}
}
