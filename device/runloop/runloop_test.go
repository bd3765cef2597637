package runloop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/pinout"
)

// fakeCamera makes 8x4 frames whose first byte alternates between two
// "classes"; with limit > 0 it is a bounded source of that many frames.
type fakeCamera struct {
	n      atomic.Int64
	limit  int64
	closed atomic.Bool
}

func (c *fakeCamera) Name() string  { return "fake" }
func (c *fakeCamera) Bounded() bool { return c.limit > 0 }
func (c *fakeCamera) Close() error  { c.closed.Store(true); return nil }
func (c *fakeCamera) Read(f *device.Frame) error {
	runtime.Gosched() // a real camera blocks between frames
	if c.closed.Load() {
		return device.ErrClosed
	}
	n := c.n.Add(1)
	if c.limit > 0 && n > c.limit {
		return io.EOF
	}
	f.Resize(8, 4)
	f.Pix[0] = byte(n % 2)
	if c.limit > 0 {
		f.File = "img\"" + string(rune('a'+n%2)) + ".jpg"
	}
	return nil
}

// fakeClassifier says "Truck" with p=0.9 when the first byte is 1, else
// "Car" with p=0.8.
type fakeClassifier struct {
	probs []float32
	fail  bool
}

var labels = []string{"Car", "Truck"}

func (c *fakeClassifier) Classify(f *device.Frame) (Prediction, error) {
	if c.fail {
		return Prediction{}, errors.New("arena too small")
	}
	if f.Pix[0] == 1 {
		c.probs[0], c.probs[1] = 0.1, 0.9
	} else {
		c.probs[0], c.probs[1] = 0.8, 0.2
	}
	best := 0
	if c.probs[1] > c.probs[0] {
		best = 1
	}
	return Prediction{Class: best, Label: labels[best], Probability: c.probs[best], Probabilities: c.probs}, nil
}

func newClassifier() *fakeClassifier { return &fakeClassifier{probs: make([]float32, 2)} }

func TestLoopSteadyStateAllocatesNothing(t *testing.T) {
	stream := device.NewStream(&fakeCamera{}, device.StreamOptions{})
	defer stream.Close()
	pin := &gpiotest.Pin{N: "GPIO17"}
	pins, err := pinout.New([]pinout.Binding{{Pin: pin, Class: 1, Label: "Truck"}}, 0.5, 0)
	require.NoError(t, err)
	l, err := New(Config{Source: stream, Classifier: newClassifier(), Pins: pins, Out: io.Discard, JSON: true,
		Log: io.Discard, SummaryEvery: time.Hour, FPS: 1e6})
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 10; i++ { // warm up: frames reach their size
		require.NoError(t, l.Step(ctx))
	}
	allocs := testing.AllocsPerRun(300, func() {
		if err := l.Step(ctx); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.GreaterOrEqual(t, l.frames, uint64(310))
}

func TestLoopOverBoundedSourcePrintsEveryFrame(t *testing.T) {
	stream := device.NewStream(&fakeCamera{limit: 7}, device.StreamOptions{})
	defer stream.Close()
	var out, log bytes.Buffer
	pin := &gpiotest.Pin{N: "GPIO17"}
	pins, err := pinout.New([]pinout.Binding{{Pin: pin, Class: 1, Label: "Truck"}}, 0.5, time.Hour)
	require.NoError(t, err)
	l, err := New(Config{Source: stream, Classifier: newClassifier(), Pins: pins, Out: &out, JSON: true, Log: &log})
	require.NoError(t, err)
	s, err := l.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(7), s.Frames)
	require.Zero(t, s.Dropped)
	require.Equal(t, gpio.High, pin.Read(), "a Truck was seen and the hold keeps it")

	sc := bufio.NewScanner(&out)
	var n int
	for sc.Scan() {
		var line struct {
			Frame       *uint64  `json:"frame"`
			Label       string   `json:"label"`
			Probability float32  `json:"probability"`
			LatencyMS   *float64 `json:"latency_ms"`
			File        string   `json:"file"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		require.Equal(t, uint64(n), *line.Frame)
		want, p, file := "Car", float32(0.8), "img\"a.jpg"
		if (n+1)%2 == 1 {
			want, p, file = "Truck", 0.9, "img\"b.jpg"
		}
		require.Equal(t, want, line.Label)
		require.Equal(t, p, line.Probability)
		require.Equal(t, file, line.File)
		require.GreaterOrEqual(t, *line.LatencyMS, 0.0)
		n++
	}
	require.Equal(t, 7, n)
	require.Contains(t, log.String(), "edgecnn: done: 7 frames in")
	require.Contains(t, log.String(), "0 dropped")
}

func TestLoopTextOutputAndMaxFrames(t *testing.T) {
	stream := device.NewStream(&fakeCamera{}, device.StreamOptions{})
	defer stream.Close()
	var out bytes.Buffer
	l, err := New(Config{Source: stream, Classifier: newClassifier(), Out: &out, MaxFrames: 3})
	require.NoError(t, err)
	s, err := l.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, uint64(3), s.Frames)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	for _, line := range lines {
		f := strings.Split(line, "\t")
		require.Len(t, f, 4, line)
		require.Contains(t, []string{"Car", "Truck"}, f[1])
		require.True(t, strings.HasSuffix(f[3], " ms"))
	}
}

func TestLoopFPSCap(t *testing.T) {
	stream := device.NewStream(&fakeCamera{}, device.StreamOptions{})
	defer stream.Close()
	l, err := New(Config{Source: stream, Classifier: newClassifier(), MaxFrames: 6, FPS: 50})
	require.NoError(t, err)
	start := time.Now()
	s, err := l.Run(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 5*20*time.Millisecond, "6 frames at 50 fps take 5 intervals")
	require.Positive(t, s.Dropped, "a live camera faster than the cap drops frames")
}

// slowClassifier takes exactly 10 ms of the loop's (fake) time per frame,
// and cancels the run at frame cancelAt when set.
type slowClassifier struct {
	*fakeClassifier
	clock    time.Time
	frames   int
	cancelAt int
	cancel   context.CancelFunc
}

func (c *slowClassifier) now() time.Time { return c.clock }

func (c *slowClassifier) Classify(f *device.Frame) (Prediction, error) {
	c.clock = c.clock.Add(10 * time.Millisecond)
	if c.frames++; c.frames == c.cancelAt {
		c.cancel()
	}
	return c.fakeClassifier.Classify(f)
}

func TestLoopPeriodicSummaryAndCancel(t *testing.T) {
	stream := device.NewStream(&fakeCamera{}, device.StreamOptions{})
	defer stream.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &slowClassifier{fakeClassifier: newClassifier(), clock: time.Unix(1e9, 0), cancelAt: 9, cancel: cancel}
	var log bytes.Buffer
	l, err := New(Config{Source: stream, Classifier: c, Log: &log, SummaryEvery: 20 * time.Millisecond})
	require.NoError(t, err)
	l.now = c.now
	s, err := l.Run(ctx)
	require.NoError(t, err, "a cancelled context is a clean stop")
	require.Equal(t, uint64(9), s.Frames)
	require.Equal(t, 90*time.Millisecond, s.Elapsed)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.Len(t, lines, 5, "a summary every 2 frames (20 ms), and the final one")
	for _, line := range lines[:4] {
		require.True(t, strings.HasPrefix(line, "edgecnn: 2 frames in 0.0s, 100.0 fps, latency median "), line)
	}
	require.True(t, strings.HasPrefix(lines[4], "edgecnn: done: 9 frames in 0.1s, 100.0 fps"), lines[4])
}

func TestLoopClassifierErrorStops(t *testing.T) {
	stream := device.NewStream(&fakeCamera{}, device.StreamOptions{})
	defer stream.Close()
	l, err := New(Config{Source: stream, Classifier: &fakeClassifier{fail: true}})
	require.NoError(t, err)
	_, err = l.Run(context.Background())
	require.ErrorContains(t, err, "arena too small")
	require.ErrorContains(t, err, "frame ")
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	_, err = New(Config{Source: device.NewStream(&fakeCamera{limit: 1}, device.StreamOptions{}), Classifier: newClassifier(), FPS: -1})
	require.Error(t, err)
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	require.Zero(t, h.quantile(0.5))
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * 10 * time.Microsecond) // 10 µs .. 10 ms
	}
	require.InEpsilon(t, float64(5*time.Millisecond), float64(h.quantile(0.5)), 0.011)
	require.InEpsilon(t, float64(9900*time.Microsecond), float64(h.quantile(0.99)), 0.011)
	h.add(time.Hour) // beyond the last bucket: counted there
	require.Equal(t, uint64(1001), h.n)
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", `quo"te\back`, "tab\tnl\nctl\x01", "ünï😀", "bad\xffutf8"} {
		var got string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, s), &got), s)
		want, _ := json.Marshal(s)
		var wantS string
		require.NoError(t, json.Unmarshal(want, &wantS))
		require.Equal(t, wantS, got)
	}
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	seqs   []uint64
	labels []string
	lats   []time.Duration
}

func (r *recorder) Observe(f *device.Frame, p Prediction, latency time.Duration) {
	r.seqs = append(r.seqs, f.Seq)
	r.labels = append(r.labels, p.Label)
	r.lats = append(r.lats, latency)
}

func TestObserversSeeEveryClassifiedFrame(t *testing.T) {
	stream := device.NewStream(&fakeCamera{limit: 5}, device.StreamOptions{})
	defer stream.Close()
	a, b := &recorder{}, &recorder{}
	l, err := New(Config{Source: stream, Classifier: newClassifier(), Observers: []Observer{a, b}})
	require.NoError(t, err)
	_, err = l.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 2, 3, 4}, a.seqs)
	require.Equal(t, []string{"Truck", "Car", "Truck", "Car", "Truck"}, a.labels)
	require.Equal(t, a, b)
	for _, d := range a.lats {
		require.GreaterOrEqual(t, d, time.Duration(0))
	}
}
