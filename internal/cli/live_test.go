package cli

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/live"
	"github.com/edgecnn/edgecnn/device/runloop"
	"github.com/edgecnn/edgecnn/internal/clitest"
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

// startRun runs edgecnn run with o in the background until ctx is done;
// the returned channel yields its error.
func startRun(ctx context.Context, o runOptions) (stdout, stderr *syncBuffer, done <-chan error) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ch := make(chan error, 1)
	go func() { ch <- runCamera(ctx, o, stdout, stderr) }()
	return stdout, stderr, ch
}

// withPage adds a live page on a free localhost port to o.
func withPage(o runOptions) runOptions {
	o.http = httpOptions{addr: "127.0.0.1:0", fps: 5}
	return o
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
	if _, err := os.Stat(clitest.CarTruckValid); err == nil {
		for _, f := range clitest.CarTruckImages(t, 4) {
			abs, err := filepath.Abs(f)
			require.NoError(t, err)
			src = append(src, abs)
		}
	} else {
		src, _ = filepath.Glob(filepath.Join(clitest.WriteImages(t, 4), "*", "*"))
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
	o := withPage(defaultRunOptions(modelPath, framesFolder(t, 400)))
	o.fps, o.http.fps = 20, 10
	stdout, stderr, done := startRun(ctx, o)
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

func TestRunLivePageAndSaverErrors(t *testing.T) {
	modelPath := writeTestModel(t, 32)
	dir := clitest.WriteImages(t, 2)
	empty := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	page := func(h httpOptions) func(*runOptions) { return func(o *runOptions) { o.http = h } }
	unsure := func(below float64, quota string) func(*runOptions) {
		return func(o *runOptions) {
			o.uncertain = uncertainOptions{dir: t.TempDir(), below: below, every: time.Second, quota: quota}
		}
	}
	for _, c := range []struct {
		set  func(*runOptions)
		want string
	}{
		{page(httpOptions{addr: "192.0.2.1:8080", fps: 5}), "only listens on localhost"},
		{page(httpOptions{addr: "127.0.0.1:0", fps: 5, user: "pi"}), "go together"},
		{page(httpOptions{addr: "127.0.0.1:0", fps: 5, user: "pi", passwordFile: empty}), "the first line is empty"},
		{page(httpOptions{addr: "127.0.0.1:0", fps: 5, user: "pi", passwordFile: empty + ".missing"}), "password.missing"},
		{page(httpOptions{public: true}), "need --http"},
		{page(httpOptions{addr: "127.0.0.1:0"}), "--http-fps 0"},
		{unsure(0, "1GiB"), "threshold 0"},
		{unsure(0.5, "lots"), `--save-quota: "lots"`},
	} {
		o := defaultRunOptions(modelPath, dir)
		c.set(&o)
		err := runCamera(context.Background(), o, io.Discard, io.Discard)
		require.ErrorContains(t, err, c.want)
	}
}

// A live page with a password: nothing without it, everything with it.
func TestRunLivePageWithPassword(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(pw, []byte("s3cret\n"), 0o600))
	o := withPage(defaultRunOptions(writeTestModel(t, 32), framesFolder(t, 200)))
	o.fps, o.http.user, o.http.passwordFile = 20, "pi", pw
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := startRun(ctx, o)
	url := waitForPage(t, stderr, done)
	get := func(user, pass string) int {
		req, err := http.NewRequest(http.MethodGet, url+"api/status", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, get("", ""))
	require.Equal(t, http.StatusUnauthorized, get("pi", "s3cret\n"))
	require.Equal(t, http.StatusOK, get("pi", "s3cret"))
	cancel()
	require.NoError(t, <-done)
}

func TestRunSavesUncertainFrames(t *testing.T) {
	modelPath := writeTestModel(t, 32) // random weights: every answer is unsure
	out := filepath.Join(t.TempDir(), "unsure")
	o := defaultRunOptions(modelPath, clitest.WriteImages(t, 6))
	o.uncertain = uncertainOptions{dir: out, below: 0.99, quota: "1MiB"}
	var stderr bytes.Buffer
	require.NoError(t, runCamera(context.Background(), o, io.Discard, &stderr))
	files, err := filepath.Glob(filepath.Join(out, "*", "*-p0.*.jpg"))
	require.NoError(t, err)
	require.NotEmpty(t, files, stderr.String())
	require.Contains(t, stderr.String(), "saved uncertain frame")
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
	if _, err := os.Stat(clitest.CarTruckValid); err == nil {
		modelPath = clitest.TrainedModel(t) // tells the photos apart: a more telling screenshot
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := withPage(defaultRunOptions(modelPath, framesFolder(t, 1000)))
	o.fps = 4
	_, stderr, done := startRun(ctx, o)
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

// frameCamera is an endless camera of w x h frames, one every 200 µs, that
// costs next to nothing, so a benchmark measures the loop and not the source.
type frameCamera struct {
	w, h   int
	closed atomic.Bool
}

func (c *frameCamera) Name() string { return "synthetic camera" }
func (c *frameCamera) Close() error { c.closed.Store(true); return nil }
func (c *frameCamera) Read(f *device.Frame) error {
	time.Sleep(200 * time.Microsecond)
	if c.closed.Load() {
		return device.ErrClosed
	}
	if f.Width != c.w || f.Height != c.h {
		f.Resize(c.w, c.h)
		for i := range f.Pix {
			f.Pix[i] = byte(i * 7 / 3)
		}
	}
	return nil
}

// The run loop's frame rate (seed-tutorial@128, 640x480 frames) with the
// live page on, without and with somebody watching its MJPEG stream (which
// encodes 5 frames a second in the HTTP server's goroutine).
func BenchmarkRunLoopLivePage(b *testing.B) {
	rt := loadRuntime(b, writeTestModel(b, 128))
	for _, viewer := range []bool{false, true} {
		b.Run(map[bool]string{false: "no-viewer", true: "viewer"}[viewer], func(b *testing.B) {
			page, err := live.New(live.Config{Labels: rt.Labels()})
			require.NoError(b, err)
			addr, err := page.Start("127.0.0.1:0")
			require.NoError(b, err)
			defer page.Close()
			stream := device.NewStream(&frameCamera{w: 640, h: 480}, device.StreamOptions{})
			defer stream.Close()
			loop, err := runloop.New(runloop.Config{Source: stream, Classifier: runtimeClassifier{rt},
				Observers: []runloop.Observer{page}})
			require.NoError(b, err)
			ctx := context.Background()
			if viewer {
				resp, err := http.Get("http://" + addr.String() + "/stream.mjpg")
				require.NoError(b, err)
				defer resp.Body.Close()
				go io.Copy(io.Discard, resp.Body)
				for page.Viewers() == 0 {
					require.NoError(b, loop.Step(ctx))
				}
			}
			encoded := page.Encoded()
			start := time.Now()
			for b.Loop() {
				if err := loop.Step(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
			b.ReportMetric(float64(page.Encoded()-encoded)/time.Since(start).Seconds(), "jpeg/s")
		})
	}
}
