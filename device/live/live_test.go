package live

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/runloop"
)

var labels = []string{"Car", "Truck"}

// testFrame is a w x h frame whose pixels depend on seq.
func testFrame(w, h int, seq uint64) *device.Frame {
	f := &device.Frame{Seq: seq}
	f.Resize(w, h)
	for i := range f.Pix {
		f.Pix[i] = byte(i*7 + int(seq))
	}
	return f
}

func truck(p float32) runloop.Prediction {
	return runloop.Prediction{Class: 1, Label: "Truck", Probability: p, Probabilities: []float32{1 - p, p}}
}

// testServer is a started Server and its base URL.
type testServer struct{ URL string }

func newServer(t *testing.T, cfg Config) (*Server, testServer) {
	t.Helper()
	if cfg.Labels == nil {
		cfg.Labels = labels
	}
	s, err := New(cfg)
	require.NoError(t, err)
	addr, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, testServer{URL: "http://" + addr.String()}
}

// openStream starts an MJPEG request and returns its part reader.
func openStream(t *testing.T, ctx context.Context, url string) *multipart.Reader {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/stream.mjpg", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/x-mixed-replace", mt)
	return multipart.NewReader(resp.Body, params["boundary"])
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Nobody watching: frames are neither copied nor encoded. A viewer gets
// JPEG frames of the camera's size; once it leaves, encoding stops again.
func TestStreamEncodesOnlyWhileSomeoneWatches(t *testing.T) {
	s, ts := newServer(t, Config{StreamFPS: 1000})
	for i := range 50 {
		s.Observe(testFrame(64, 48, uint64(i)), truck(0.9), time.Millisecond)
	}
	require.Zero(t, s.Encoded())
	require.Zero(t, s.copied, "no viewer, no frame copy")

	ctx, cancel := context.WithCancel(context.Background())
	parts := openStream(t, ctx, ts.URL)
	waitFor(t, "the viewer", func() bool { return s.Viewers() == 1 })
	stop := make(chan struct{})
	go func() { // the camera keeps going
		for i := uint64(50); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.Observe(testFrame(64, 48, i), truck(0.9), time.Millisecond)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	for range 3 {
		p, err := parts.NextPart()
		require.NoError(t, err)
		require.Equal(t, "image/jpeg", p.Header.Get("Content-Type"))
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, 64, img.Bounds().Dx())
		require.Equal(t, 48, img.Bounds().Dy())
	}
	require.GreaterOrEqual(t, s.Encoded(), uint64(3))
	cancel()
	waitFor(t, "the viewer to leave", func() bool { return s.Viewers() == 0 })
	close(stop)
	encoded, copied := s.Encoded(), s.copied
	for i := range 50 {
		s.Observe(testFrame(64, 48, uint64(1000+i)), truck(0.9), time.Millisecond)
	}
	require.Equal(t, encoded, s.Encoded())
	require.Equal(t, copied, s.copied)
}

// Frames are copied (and so encoded) at most StreamFPS times a second,
// however fast the camera is and however many watch.
func TestStreamRateIsCapped(t *testing.T) {
	s, ts := newServer(t, Config{StreamFPS: 20})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := openStream(t, ctx, ts.URL), openStream(t, ctx, ts.URL)
	waitFor(t, "two viewers", func() bool { return s.Viewers() == 2 })
	for _, r := range []*multipart.Reader{a, b} {
		go func() {
			for {
				p, err := r.NextPart()
				if err != nil {
					return
				}
				io.Copy(io.Discard, p)
			}
		}()
	}
	start := time.Now()
	var observed int
	for time.Since(start) < 300*time.Millisecond {
		s.Observe(testFrame(32, 24, uint64(observed)), truck(0.9), time.Millisecond)
		observed++
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	maxFrames := uint64(elapsed.Seconds()*20) + 1
	require.Greater(t, observed, 20)
	require.LessOrEqual(t, s.copied, maxFrames)
	waitFor(t, "the last frame's encoding", func() bool { return s.Encoded() >= s.copied-1 })
	require.LessOrEqual(t, s.Encoded(), s.copied, "one encoding per copied frame for both viewers")
}

func TestObserveAllocatesNothing(t *testing.T) {
	s, err := New(Config{Labels: labels, StreamFPS: 1e9})
	require.NoError(t, err)
	f, p := testFrame(64, 48, 0), truck(0.8)
	require.Zero(t, testing.AllocsPerRun(100, func() { s.Observe(f, p, time.Millisecond) }))
	ch := s.addViewer() // with a viewer: a copy per frame, still no allocation
	defer s.removeViewer(ch)
	s.Observe(f, p, time.Millisecond)
	require.Zero(t, testing.AllocsPerRun(100, func() { s.Observe(f, p, time.Millisecond) }))
	require.Greater(t, s.copied, uint64(100))
}

func getStatus(t *testing.T, url string) Status {
	t.Helper()
	resp, err := http.Get(url + "/api/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func TestStatusFigures(t *testing.T) {
	var dropped uint64 = 7
	s, ts := newServer(t, Config{Model: "m.q8.ecnn", Camera: "folder x", Dropped: func() uint64 { return dropped }})
	st := getStatus(t, ts.URL)
	require.Equal(t, -1, st.Class)
	require.Equal(t, -1.0, st.LastFrameAgeS)
	require.Zero(t, st.FPS)
	for i := 1; i <= 100; i++ { // latencies 1..100 ms, the last a Car
		p := truck(0.75)
		if i == 100 {
			p = runloop.Prediction{Class: 0, Label: "Car", Probability: 0.6, Probabilities: []float32{0.6, 0.4}}
		}
		s.Observe(testFrame(4, 4, uint64(i)), p, time.Duration(i)*time.Millisecond)
		time.Sleep(time.Millisecond)
	}
	st = getStatus(t, ts.URL)
	require.Equal(t, "m.q8.ecnn", st.Model)
	require.Equal(t, "folder x", st.Camera)
	require.Equal(t, labels, st.Labels)
	require.Equal(t, uint64(100), st.Frames)
	require.Equal(t, 0, st.Class)
	require.Equal(t, "Car", st.Label)
	require.Equal(t, float32(0.6), st.Probability)
	require.Equal(t, []float32{0.6, 0.4}, st.Probabilities)
	require.Equal(t, 50.0, st.LatencyMedianMS)
	require.Equal(t, 99.0, st.LatencyP99MS)
	require.Equal(t, uint64(7), st.Dropped)
	require.Positive(t, st.FPS)
	require.Less(t, st.FPS, 1000.0, "at least 1 ms between frames")
	require.GreaterOrEqual(t, st.LastFrameAgeS, 0.0)
	require.Positive(t, st.UptimeS)
	require.Equal(t, 5.0, st.StreamFPS)
	require.Empty(t, st.CaptureLabels)
}

func TestMetricsText(t *testing.T) {
	s, ts := newServer(t, Config{Labels: []string{"Car", `Big "Truck"`}, Model: `a\b.ecnn`})
	s.Observe(testFrame(4, 4, 0), truck(0.25), 3*time.Millisecond)
	resp, err := http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	text := string(b)
	for _, want := range []string{
		"# TYPE edgecnn_frames_total counter\nedgecnn_frames_total 1\n",
		`edgecnn_info{model="a\\b.ecnn",camera=""} 1`,
		`edgecnn_latency_seconds{quantile="0.5"} 0.003`,
		`edgecnn_class_probability{class="Car"} 0.75`,
		`edgecnn_class_probability{class="Big \"Truck\""} 0.25`,
		"edgecnn_frames_dropped_total 0\n",
		"edgecnn_stream_viewers 0\n",
		"edgecnn_stream_jpeg_encoded_total 0\n",
	} {
		require.Contains(t, text, want)
	}
	// Every sample line is NAME[{LABELS}] VALUE, after its HELP and TYPE.
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			typed[strings.Fields(rest)[0]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		require.True(t, typed[name], "sample before its TYPE: %s", line)
		require.Len(t, strings.Fields(line[strings.LastIndexByte(line, ' '):]), 1, line)
	}
}

func TestBasicAuth(t *testing.T) {
	_, ts := newServer(t, Config{User: "pi", Password: "s3cret"})
	get := func(path, user, pass string) int {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
		}
		return resp.StatusCode
	}
	for _, path := range []string{"/", "/api/status", "/metrics", "/stream.mjpg"} {
		require.Equal(t, http.StatusUnauthorized, get(path, "", ""), path)
		require.Equal(t, http.StatusUnauthorized, get(path, "pi", "wrong"), path)
		require.Equal(t, http.StatusUnauthorized, get(path, "root", "s3cret"), path)
	}
	require.Equal(t, http.StatusOK, get("/api/status", "pi", "s3cret"))
	require.Equal(t, http.StatusOK, get("/", "pi", "s3cret"))
	require.Equal(t, http.StatusOK, get("/healthz", "", ""), "health checks need no password")
}

func TestPageIsSelfContained(t *testing.T) {
	_, ts := newServer(t, Config{})
	resp, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	html := string(b)
	require.Contains(t, html, `src="stream.mjpg"`)
	require.Contains(t, html, `fetch("api/status"`)
	for _, external := range []string{"http://", "https://", "//cdn", "<link"} {
		require.NotContains(t, html, external)
	}
	resp, err = http.Get(ts.URL + "/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestHealth(t *testing.T) {
	s, ts := newServer(t, Config{StaleAfter: time.Minute})
	code := func() int {
		resp, err := http.Get(ts.URL + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, code(), "starting up")
	s.mu.Lock()
	s.start = s.start.Add(-2 * time.Minute)
	s.mu.Unlock()
	require.Equal(t, http.StatusServiceUnavailable, code(), "no frame in two minutes")
	s.Observe(testFrame(4, 4, 0), truck(0.9), time.Millisecond)
	require.Equal(t, http.StatusOK, code())
	s.mu.Lock()
	s.lastFrame = s.lastFrame.Add(-2 * time.Minute)
	s.mu.Unlock()
	require.Equal(t, http.StatusServiceUnavailable, code(), "the camera stopped")
}

func TestCaptureEndpoint(t *testing.T) {
	var saved []string
	_, ts := newServer(t, Config{CaptureLabels: []string{"Car", "Truck"}, Capture: func(label string) (string, error) {
		saved = append(saved, label)
		return "/data/" + label + "/1.jpg", nil
	}})
	post := func(ctype, body string) (int, string) {
		resp, err := http.Post(ts.URL+"/api/capture", ctype, strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("application/json", `{"label":"Truck"}`)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"file":"/data/Truck/1.jpg"}`, body)
	code, _ = post("application/x-www-form-urlencoded", "label=Truck")
	require.Equal(t, http.StatusUnsupportedMediaType, code)
	code, body = post("application/json", `{"label":"Bus"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, `unknown label "Bus"`)
	require.Equal(t, []string{"Truck"}, saved)
	require.Equal(t, []string{"Car", "Truck"}, getStatus(t, ts.URL).CaptureLabels)
}

func TestBindAddress(t *testing.T) {
	for _, c := range []struct {
		addr         string
		auth, public bool
		want, err    string
	}{
		{addr: ":8080", want: "127.0.0.1:8080"},
		{addr: "0.0.0.0:80", want: "127.0.0.1:80"},
		{addr: "[::]:80", want: "127.0.0.1:80"},
		{addr: "localhost:8080", want: "localhost:8080"},
		{addr: "[::1]:8080", want: "[::1]:8080"},
		{addr: ":8080", auth: true, want: ":8080"},
		{addr: ":8080", public: true, want: ":8080"},
		{addr: "192.168.1.5:8080", err: "only listens on localhost"},
		{addr: "192.168.1.5:8080", auth: true, want: "192.168.1.5:8080"},
		{addr: "8080", err: "want [HOST]:PORT"},
	} {
		got, err := BindAddress(c.addr, c.auth, c.public)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.addr)
			continue
		}
		require.NoError(t, err, c.addr)
		require.Equal(t, c.want, got, c.addr)
	}
}

func TestStartAndCloseEndStreams(t *testing.T) {
	s, err := New(Config{Labels: labels})
	require.NoError(t, err)
	addr, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	parts := openStream(t, context.Background(), "http://"+addr.String())
	waitFor(t, "the viewer", func() bool { return s.Viewers() == 1 })
	done := make(chan error, 1)
	go func() { _, err := parts.NextPart(); done <- err }()
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		require.Error(t, err, "the stream ends with the server")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived Close")
	}
	waitFor(t, "no viewers", func() bool { return s.Viewers() == 0 })
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{StreamFPS: -1})
	require.ErrorContains(t, err, "stream fps")
	_, err = New(Config{Password: "x"})
	require.ErrorContains(t, err, "needs a user")
	_, err = New(Config{Capture: func(string) (string, error) { return "", nil }})
	require.ErrorContains(t, err, "need labels")
	_, err = New(Config{Quality: 101})
	require.ErrorContains(t, err, "quality 101")
}

// The run loop's cost of the page: Observe on a 640x480 frame, with nobody
// watching and with a viewer (a frame copy at most StreamFPS times a second).
func BenchmarkObserve(b *testing.B) {
	f := testFrame(640, 480, 0)
	for _, viewer := range []bool{false, true} {
		name := map[bool]string{false: "no-viewer", true: "viewer"}[viewer]
		b.Run(name, func(b *testing.B) {
			s, err := New(Config{Labels: labels})
			require.NoError(b, err)
			if viewer {
				ch := s.addViewer()
				defer s.removeViewer(ch)
			}
			p := truck(0.9)
			b.ReportAllocs()
			for b.Loop() {
				s.Observe(f, p, time.Millisecond)
			}
		})
	}
}
