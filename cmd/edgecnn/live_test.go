package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device/live"
)

// syncBuffer is a bytes.Buffer that a command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startCmd runs the CLI with args in the background until ctx is done; the
// returned channel yields its error.
func startCmd(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr *syncBuffer, done <-chan error) {
	sub, _, err := rootCmd.Find(args)
	require.NoError(t, err)
	sub.SetContext(ctx) // a subcommand takes the root's context only while it has none
	t.Cleanup(func() { // cobra keeps the context (root and subcommand) and input for later runs
		rootCmd.SetContext(context.Background())
		sub.SetContext(context.Background())
		rootCmd.SetIn(nil)
	})
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ch := make(chan error, 1)
	rootCmd.SetOut(stdout)
	rootCmd.SetErr(stderr)
	rootCmd.SetIn(stdin)
	rootCmd.SetArgs(args)
	go func() { ch <- rootCmd.ExecuteContext(ctx) }()
	return stdout, stderr, ch
}

var pageURL = regexp.MustCompile(`live page on (http://\S+/)`)

// waitForPage returns the live page's URL once the command has printed it.
func waitForPage(t *testing.T, stderr *syncBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := pageURL.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("the command ended before serving the page: %v; stderr: %s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live page; stderr: %s", stderr)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// framesFolder makes a folder of n images for a slow folder camera: the
// shared car and truck photos when present, else generated ones.
func framesFolder(t *testing.T, n int) string {
	t.Helper()
	var src []string
	if _, err := os.Stat(carTruckValid); err == nil {
		for _, f := range carTruckImages(t, 4) {
			abs, err := filepath.Abs(f)
			require.NoError(t, err)
			src = append(src, abs)
		}
	} else {
		src, _ = filepath.Glob(filepath.Join(writeTestImages(t, 4), "*", "*"))
	}
	dir := t.TempDir()
	for i := range n {
		f := src[i%len(src)]
		require.NoError(t, os.Symlink(f, filepath.Join(dir, fmt.Sprintf("%04d%s", i, filepath.Ext(f)))))
	}
	return dir
}

// run --http serves the figures of the running loop; the stream is encoded
// only once somebody watches.
func TestRunServesLivePage(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, done := startCmd(t, ctx, nil, "run", "--model", modelPath, "--camera", framesFolder(t, 400),
		"--fps", "20", "--json", "--http", "127.0.0.1:0", "--http-fps", "10")
	url := waitForPage(t, stderr, done)

	var st live.Status
	for deadline := time.Now().Add(10 * time.Second); st.Frames < 3; time.Sleep(20 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "no frames: %s", stderr)
		getJSON(t, url+"api/status", &st)
	}
	require.Equal(t, []string{"Car", "Truck"}, st.Labels)
	require.Contains(t, st.Labels, st.Label)
	require.Len(t, st.Probabilities, 2)
	require.InDelta(t, 1, st.Probabilities[0]+st.Probabilities[1], 1e-5)
	require.Positive(t, st.LatencyMedianMS)
	require.Equal(t, modelPath, st.Model)
	require.Zero(t, st.JPEGEncoded, "nobody watched yet")

	resp, err := http.Get(url + "stream.mjpg")
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/x-mixed-replace", mt)
	part, err := multipart.NewReader(resp.Body, params["boundary"]).NextPart()
	require.NoError(t, err)
	img, err := jpeg.Decode(part)
	require.NoError(t, err)
	require.Positive(t, img.Bounds().Dx())
	resp.Body.Close()

	resp, err = http.Get(url + "metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Regexp(t, `(?m)^edgecnn_stream_jpeg_encoded_total [1-9]`, string(b))
	require.Regexp(t, `(?m)^edgecnn_frames_total [1-9]`, string(b))
	resp, err = http.Get(url + "healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	require.NoError(t, <-done)
	require.Contains(t, stdout.String(), `"label":`)
}

func TestRunLivePageFlagErrors(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := writeTestImages(t, 2)
	empty := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--http", "192.0.2.1:8080"}, "only listens on localhost"},
		{[]string{"--http", ":0", "--http-user", "pi"}, "go together"},
		{[]string{"--http", ":0", "--http-user", "pi", "--http-password-file", empty}, "the first line is empty"},
		{[]string{"--http", ":0", "--http-user", "pi", "--http-password-file", empty + ".missing"}, "password.missing"},
		{[]string{"--http-public"}, "need --http"},
		{[]string{"--http", ":0", "--http-fps", "0"}, "--http-fps 0"},
		{[]string{"--save-uncertain", t.TempDir(), "--below", "0"}, "threshold 0"},
		{[]string{"--save-uncertain", t.TempDir(), "--save-quota", "lots"}, `--save-quota: "lots"`},
	} {
		args := append([]string{"run", "--model", modelPath, "--camera", dir}, c.args...)
		_, _, err := runCmd(t, rootCmd, args...)
		require.ErrorContains(t, err, c.want, "%v", c.args)
		// Reset the flags this case set (cobra keeps values between runs).
		_, _, err = runCmd(t, rootCmd, "run", "--model", modelPath, "--camera", dir, "--http", "", "--http-user", "",
			"--http-password-file", "", "--http-public=false", "--http-fps", "5", "--save-uncertain", "", "--below", "0.7",
			"--save-quota", "500MiB", "--frames", "1")
		require.NoError(t, err)
	}
}

func TestRunSavesUncertainFrames(t *testing.T) {
	modelPath := writeTestModel(t, 32) // random weights: every answer is unsure
	out := filepath.Join(t.TempDir(), "unsure")
	_, stderr, err := runCmd(t, rootCmd, "run", "--model", modelPath, "--camera", writeTestImages(t, 6),
		"--save-uncertain", out, "--below", "0.99", "--save-every", "0")
	require.NoError(t, err)
	_, _, _ = runCmd(t, rootCmd, "run", "--model", modelPath, "--camera", writeTestImages(t, 1), "--save-uncertain", "",
		"--below", "0.7", "--save-every", "1s")
	files, err := filepath.Glob(filepath.Join(out, "*", "*-p0.*.jpg"))
	require.NoError(t, err)
	require.NotEmpty(t, files, stderr)
	require.Contains(t, stderr, "saved uncertain frame")
	for _, f := range files {
		require.Contains(t, []string{"Car", "Truck"}, filepath.Base(filepath.Dir(f)))
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, [2]int{32, 32}, [2]int{cfg.Width, cfg.Height}, "the model's input size")
	}
}

// chromiumPath finds Debian's chromium.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (apt-get install -y chromium): the live page's browser test needs it")
	return ""
}

// chromium runs headless Chromium with args and returns its stdout.
func chromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1100,700"}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	return out
}

// artifactDir is where tests leave files for people to look at:
// $EDGECNN_ARTIFACTS, else edgecnn-artifacts in the temporary folder.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("EDGECNN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "edgecnn-artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// A real browser loads the live page of run over a folder of photos: the
// DOM shows a label with a bar per class, and a screenshot shows the frame.
func TestLivePageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts headless Chromium (10-30 s); skipped with -short")
	}
	bin := chromiumPath(t)
	modelPath := writeTestModel(t, 128)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := startCmd(t, ctx, nil, "run", "--model", modelPath, "--camera", framesFolder(t, 1000),
		"--fps", "4", "--http", "127.0.0.1:0")
	url := waitForPage(t, stderr, done)

	dom := string(chromium(t, bin, "--dump-dom", url))
	m := regexp.MustCompile(`<div id="label">([^<]*)</div>`).FindStringSubmatch(dom)
	require.NotNil(t, m, dom)
	require.Contains(t, []string{"Car", "Truck"}, m[1], "the DOM shows the label")
	require.Regexp(t, `<div id="probability">\d+\.\d %</div>`, dom)
	require.Equal(t, 2, strings.Count(dom, `<div class="track">`), "a bar per class")
	require.Regexp(t, `<dd id="frames">[1-9]\d*</dd>`, dom)

	shot := filepath.Join(artifactDir(t), "live-page.png")
	chromium(t, bin, "--screenshot="+shot, url)
	t.Logf("screenshot of the live page: %s", shot)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 1100, 700), img.Bounds())
	// The frame (left half, below the header) is a photo, not the black
	// placeholder: its pixels vary.
	var sum, sq float64
	var n int
	for y := 100; y < 600; y += 5 {
		for x := 40; x < 560; x += 5 {
			r, g, b, _ := img.At(x, y).RGBA()
			v := float64(r+g+b) / 3 / 257
			sum += v
			sq += v * v
			n++
		}
	}
	mean := sum / float64(n)
	std := sq/float64(n) - mean*mean
	require.Greater(t, mean, 20.0, "the frame area is not black")
	require.Greater(t, std, 50.0, "the frame area is not flat (variance %.1f)", std)
	cancel()
	require.NoError(t, <-done)
}
