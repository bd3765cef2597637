package capture

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/runloop"
	"github.com/edgecnn/edgecnn/preprocess"
)

// gradient is a w x h frame of grey waves over a horizontal ramp.
func gradient(w, h int, seq uint64) *device.Frame {
	f := &device.Frame{Seq: seq, Time: time.Date(2026, 11, 28, 10, 15, 2, 123e6, time.UTC)}
	f.Resize(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			v := 30 + float64(x*100/w) + 60*(1+math.Sin(float64(x)*0.25)*math.Cos(float64(y)*0.2))
			f.Pix[i], f.Pix[i+1], f.Pix[i+2] = byte(v), byte(v), byte(v*0.8)
		}
	}
	return f
}

func newSaver(t *testing.T, opt Options) *Saver {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = filepath.Join(t.TempDir(), "captured")
	}
	if opt.Width == 0 {
		opt.Width, opt.Height = 32, 24
	}
	s, err := NewSaver(opt)
	require.NoError(t, err)
	return s
}

// The saved image is the frame resized exactly as the model's input is
// (up to JPEG's loss), named after the frame's time, in the label's folder.
func TestSaveWritesTheModelInput(t *testing.T) {
	for _, method := range []string{preprocess.Bilinear, preprocess.Nearest} {
		s := newSaver(t, Options{Width: 32, Height: 24, Interpolation: method})
		f := gradient(150, 100, 3)
		path, err := s.Save(f, "Truck", "")
		require.NoError(t, err)
		require.Equal(t, filepath.Join(s.opt.Dir, "Truck", "20261128-101502-123.jpg"), path)

		want := make([]byte, 32*24*3)
		preprocess.ResizeRGB(want, 32, 24, f.Pix, 150, 100, 150*3, method, nil)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, 32, img.Bounds().Dx())
		require.Equal(t, 24, img.Bounds().Dy())
		got := make([]byte, 32*24*3)
		preprocess.ToRGB(got, img)
		var diff int
		for i := range got {
			diff += max(int(got[i])-int(want[i]), int(want[i])-int(got[i]))
		}
		other := make([]byte, 32*24*3) // the other method: the test can tell them apart
		preprocess.ResizeRGB(other, 32, 24, f.Pix, 150, 100, 150*3, map[string]string{preprocess.Bilinear: preprocess.Nearest, preprocess.Nearest: preprocess.Bilinear}[method], nil)
		var otherDiff int
		for i := range got {
			otherDiff += max(int(got[i])-int(other[i]), int(other[i])-int(got[i]))
		}
		t.Logf("%s: mean absolute difference %.2f from the model input, %.2f from the other method's", method, float64(diff)/float64(len(got)), float64(otherDiff)/float64(len(got)))
		require.Less(t, float64(diff)/float64(len(got)), 3.0, "JPEG's loss only")
		require.Less(t, 2*diff, otherDiff)
		require.Equal(t, int64(len(data)), s.Used())
	}
}

func TestSaveNeverOverwrites(t *testing.T) {
	s := newSaver(t, Options{})
	f := gradient(64, 48, 0)
	first, err := s.Save(f, "Car", "")
	require.NoError(t, err)
	before, err := os.ReadFile(first)
	require.NoError(t, err)
	f.Pix[0] = 255 // same time, other pixels
	second, err := s.Save(f, "Car", "")
	require.NoError(t, err)
	third, err := s.Save(f, "Car", "")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSuffix(first, ".jpg")+"-2.jpg", second)
	require.Equal(t, strings.TrimSuffix(first, ".jpg")+"-3.jpg", third)
	after, err := os.ReadFile(first)
	require.NoError(t, err)
	require.Equal(t, before, after)
	entries, err := os.ReadDir(filepath.Dir(first))
	require.NoError(t, err)
	require.Len(t, entries, 3, "no temporary files left")
}

func TestQuotaCountsWhatIsThereAlready(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Car"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Car", "old.jpg"), make([]byte, 5000), 0o644))
	probe := newSaver(t, Options{})
	path, err := probe.Save(gradient(64, 48, 0), "x", "")
	require.NoError(t, err)
	size := probe.Used()
	require.FileExists(t, path)

	s := newSaver(t, Options{Dir: dir, Quota: 5000 + size + size/2}) // room for one more
	require.Equal(t, int64(5000), s.Used())
	_, err = s.Save(gradient(64, 48, 0), "Car", "")
	require.NoError(t, err)
	_, err = s.Save(gradient(64, 48, 1), "Car", "")
	require.ErrorIs(t, err, ErrQuota)
	require.ErrorContains(t, err, dir)
	entries, err := os.ReadDir(filepath.Join(dir, "Car"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
}

func TestBadInput(t *testing.T) {
	s := newSaver(t, Options{})
	for _, l := range []string{"", ".", "..", ".hidden", "a/b", `a\b`} {
		_, err := s.Save(gradient(8, 8, 0), l, "")
		require.Error(t, err, l)
	}
	_, err := s.Save(&device.Frame{}, "Car", "")
	require.ErrorContains(t, err, "no pixels")
	for _, opt := range []Options{
		{Dir: t.TempDir()},
		{Dir: t.TempDir(), Width: 8, Height: 8, Interpolation: "cubic"},
		{Dir: t.TempDir(), Width: 8, Height: 8, Quality: 200},
		{Dir: t.TempDir(), Width: 8, Height: 8, Quota: -1},
	} {
		_, err := NewSaver(opt)
		require.Error(t, err, "%+v", opt)
	}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = NewSaver(Options{Dir: file, Width: 8, Height: 8})
	require.Error(t, err)
}

func prediction(label string, p float32) runloop.Prediction {
	return runloop.Prediction{Class: 0, Label: label, Probability: p, Probabilities: []float32{p, 1 - p}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestUncertainSavesUnsureFramesRateLimited(t *testing.T) {
	s := newSaver(t, Options{})
	var log bytes.Buffer
	u, err := NewUncertain(s, UncertainOptions{Below: 0.7, Every: time.Hour, Log: &syncWriter{w: &log}})
	require.NoError(t, err)
	f := gradient(64, 48, 5)
	for i := range 20 {
		u.Observe(f, prediction("Truck", 0.9+float32(i)/1000), time.Millisecond) // sure: never saved
	}
	u.Observe(f, prediction("Truck", 0.55), time.Millisecond)
	for range 20 {
		u.Observe(f, prediction("Car", 0.5), time.Millisecond) // within the hour: skipped
	}
	u.Close()
	require.Equal(t, uint64(1), u.Saved())
	m, err := filepath.Glob(filepath.Join(s.opt.Dir, "*", "*.jpg"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(s.opt.Dir, "Truck", "20261128-101502-123-p0.55.jpg")}, m)
	require.Contains(t, log.String(), "saved uncertain frame 5 (Truck 0.55)")
}

func TestUncertainStopsAtQuota(t *testing.T) {
	s := newSaver(t, Options{Quota: 1}) // no room for any image
	var log bytes.Buffer
	u, err := NewUncertain(s, UncertainOptions{Below: 0.7, Log: &syncWriter{w: &log}})
	require.NoError(t, err)
	f := gradient(64, 48, 0)
	u.Observe(f, prediction("Car", 0.5), 0)
	waitFor(t, "the quota", u.full.Load)
	u.Observe(f, prediction("Car", 0.5), 0)
	u.Close()
	require.Zero(t, u.Saved())
	require.Equal(t, 1, strings.Count(log.String(), "disk quota reached; no more uncertain frames are saved"))
	_, err = NewUncertain(s, UncertainOptions{Below: 0})
	require.ErrorContains(t, err, "threshold 0")
}

// Observe copies the frame and returns; it allocates nothing once its
// buffer has the frame's size, also while a frame is being written.
func TestUncertainObserveAllocatesNothing(t *testing.T) {
	u, err := NewUncertain(newSaver(t, Options{}), UncertainOptions{Below: 0.7})
	require.NoError(t, err)
	defer u.Close()
	f, p := gradient(64, 48, 0), prediction("Car", 0.5)
	u.Observe(f, p, 0)
	require.Zero(t, testing.AllocsPerRun(200, func() { u.Observe(f, p, 0) }))
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// fakeSource makes frames every millisecond, limit of them then io.EOF.
type fakeSource struct {
	n, limit uint64
	frame    *device.Frame
}

func (s *fakeSource) Next(ctx context.Context) (*device.Frame, error) {
	if s.n >= s.limit {
		return nil, io.EOF
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Millisecond):
	}
	s.frame = gradient(64, 48, s.n)
	s.frame.Time = s.frame.Time.Add(time.Duration(s.n) * time.Second)
	s.n++
	return s.frame, nil
}

type countingObserver struct{ n atomic.Int64 }

func (c *countingObserver) Observe(*device.Frame, runloop.Prediction, time.Duration) { c.n.Add(1) }

func TestLoopSavesOnRequest(t *testing.T) {
	s := newSaver(t, Options{})
	reqs := make(chan Request, 4)
	obs := &countingObserver{}
	loop := &Loop{Source: &fakeSource{limit: 1 << 40}, Saver: s, Requests: reqs, Observer: obs}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		n, err := loop.Run(ctx)
		require.NoError(t, err)
		done <- n
	}()
	reply := make(chan Result, 1)
	reqs <- Request{Label: "Car", Reply: reply}
	r := <-reply
	require.NoError(t, r.Err)
	require.FileExists(t, r.Path)
	require.Equal(t, filepath.Join(s.opt.Dir, "Car"), filepath.Dir(r.Path))
	reqs <- Request{Label: "a/b", Reply: reply}
	r = <-reply
	require.ErrorContains(t, r.Err, "cannot contain /")
	reqs <- Request{Label: "Truck"}
	waitFor(t, "the Truck frame", func() bool {
		m, _ := filepath.Glob(filepath.Join(s.opt.Dir, "Truck", "*.jpg"))
		return len(m) == 1
	})
	cancel()
	require.Equal(t, 2, <-done)
	require.Positive(t, obs.n.Load())
}

func TestLoopEndsWithBoundedSource(t *testing.T) {
	loop := &Loop{Source: &fakeSource{limit: 3}, Saver: newSaver(t, Options{}), Requests: make(chan Request)}
	n, err := loop.Run(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestReadKeys(t *testing.T) {
	out := make(chan Request, 10)
	require.NoError(t, ReadKeys(context.Background(), strings.NewReader("\nTruck\n  \n"), "Car", out))
	close(out)
	var got []string
	for r := range out {
		got = append(got, r.Label)
	}
	require.Equal(t, []string{"Car", "Truck", "Car"}, got)
}

func TestEvery(t *testing.T) {
	out := make(chan Request)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Every(ctx, 5*time.Millisecond, "Car", out); close(done) }()
	for range 3 {
		require.Equal(t, "Car", (<-out).Label)
	}
	cancel()
	<-done
}

// A press (falling edge) on a fake GPIO27 asks for a frame; a bounce right
// after it does not; a later press does.
func TestWatchButton(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO27", Num: 27, EdgesChan: make(chan gpio.Level)}
	out := make(chan Request, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- WatchButton(ctx, pin, "Truck", out) }()
	waitFor(t, "the pull-up", func() bool { // In flushes pending edges: press after it
		pin.Lock()
		defer pin.Unlock()
		return pin.P == gpio.PullUp
	})
	pin.EdgesChan <- gpio.Low // press
	require.Equal(t, "Truck", (<-out).Label)
	pin.EdgesChan <- gpio.High // release
	pin.EdgesChan <- gpio.Low  // bounce
	time.Sleep(ButtonDebounce + 20*time.Millisecond)
	pin.EdgesChan <- gpio.High
	pin.EdgesChan <- gpio.Low // a second press
	require.Equal(t, "Truck", (<-out).Label)
	cancel()
	require.NoError(t, <-done)
	require.Empty(t, out, "the bounce was ignored")
}

func TestWatchButtonReportsPinError(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO27"} // no edge channel: In with an edge fails
	err := WatchButton(context.Background(), pin, "Car", make(chan Request))
	require.ErrorContains(t, err, "button GPIO27")
	require.NotErrorIs(t, err, fs.ErrNotExist)
}

func TestLoopStopsAfterLimit(t *testing.T) {
	reqs := make(chan Request, 8)
	for range 5 {
		reqs <- Request{Label: "Car"}
	}
	s := newSaver(t, Options{})
	loop := &Loop{Source: &fakeSource{limit: 100}, Saver: s, Requests: reqs, Limit: 3}
	n, err := loop.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Len(t, reqs, 2, "the requests beyond the limit are left")
	m, err := filepath.Glob(filepath.Join(s.opt.Dir, "Car", "*.jpg"))
	require.NoError(t, err)
	require.Len(t, m, 3)
}
