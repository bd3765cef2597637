package device

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeCamera produces 4x2 frames whose first two bytes are a frame counter
// (see frameNumber). It
// fails its Read number failAt (1-based) if set, and ends after limit frames
// when bounded.
type fakeCamera struct {
	name    string
	n       atomic.Int64
	limit   int64
	failAt  int64
	bounded bool
	delay   time.Duration
	closed  atomic.Int32
	stop    chan struct{}
	once    sync.Once
}

func newFakeCamera(name string) *fakeCamera {
	return &fakeCamera{name: name, stop: make(chan struct{})}
}

func (c *fakeCamera) Name() string  { return c.name }
func (c *fakeCamera) Bounded() bool { return c.bounded }
func (c *fakeCamera) Close() error {
	c.closed.Add(1)
	c.once.Do(func() { close(c.stop) })
	return nil
}

func (c *fakeCamera) Read(f *Frame) error {
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-c.stop:
		}
	} else {
		runtime.Gosched() // a real camera blocks between frames
	}
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	n := c.n.Add(1)
	if n == c.failAt {
		return errors.New("unplugged")
	}
	if c.limit > 0 && n > c.limit {
		if c.bounded {
			return io.EOF
		}
		<-c.stop
		return ErrClosed
	}
	f.Resize(4, 2)
	f.Pix[0], f.Pix[1] = byte(n>>8), byte(n)
	return nil
}

func TestStreamBoundedDeliversEveryFrame(t *testing.T) {
	cam := newFakeCamera("folder")
	cam.bounded, cam.limit = true, 50
	s := NewStream(cam, StreamOptions{})
	defer s.Close()
	for i := 1; i <= 50; i++ {
		f, err := s.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, i, frameNumber(f))
		require.Equal(t, uint64(i-1), f.Seq)
		if i%10 == 0 {
			time.Sleep(5 * time.Millisecond) // a slow consumer loses nothing
		}
	}
	_, err := s.Next(context.Background())
	require.True(t, IsEnd(err), "got %v", err)
	require.Zero(t, s.Dropped())
	require.NoError(t, s.Close())
	require.Positive(t, cam.closed.Load())
}

func TestStreamLiveKeepsNewestAndCountsDrops(t *testing.T) {
	cam := newFakeCamera("live")
	cam.delay = time.Millisecond
	s := NewStream(cam, StreamOptions{})
	defer s.Close()
	ctx := context.Background()
	first, err := s.Next(ctx)
	require.NoError(t, err)
	prev := first.Seq
	time.Sleep(30 * time.Millisecond) // the camera runs on meanwhile
	f, err := s.Next(ctx)
	require.NoError(t, err)
	require.Greater(t, f.Seq, prev+5, "Next returns the newest frame, not the next one")
	captured := s.Captured()
	delivered := uint64(2)
	// Every frame captured so far is either delivered, dropped, or waiting.
	d := s.Dropped()
	require.GreaterOrEqual(t, captured, delivered+d)
	require.LessOrEqual(t, captured, delivered+d+2)
	require.GreaterOrEqual(t, d, f.Seq-prev-1)
}

func TestStreamReopensLostCameraWithBackoff(t *testing.T) {
	var log bytes.Buffer
	var mu sync.Mutex
	first := newFakeCamera("cam0")
	first.failAt = 3
	first.delay = time.Millisecond
	opens := 0
	var second *fakeCamera
	reopen := func() (Camera, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		if opens < 3 {
			return nil, errors.New("no such device")
		}
		second = newFakeCamera("cam0")
		second.n.Store(100)
		return second, nil
	}
	s := NewStream(first, StreamOptions{Reopen: reopen, MinBackoff: 5 * time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		Log: &syncWriter{w: &log, mu: &mu}})
	ctx := context.Background()
	start := time.Now()
	f, err := s.Next(ctx)
	require.NoError(t, err)
	require.LessOrEqual(t, frameNumber(f), 2, "the first camera gave two frames")
	for frameNumber(f) <= 100 {
		f, err = s.Next(ctx)
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond+10*time.Millisecond+10*time.Millisecond)
	require.NoError(t, s.Close())
	require.Equal(t, uint64(1), s.Reopened())
	require.Positive(t, first.closed.Load())
	require.Positive(t, second.closed.Load())
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, log.String(), "camera lost: unplugged; reopening in 5ms")
	require.Contains(t, log.String(), "reopen failed: no such device; next try in 10ms")
	require.Contains(t, log.String(), "camera cam0 reopened")
}

func frameNumber(f *Frame) int { return int(f.Pix[0])<<8 | int(f.Pix[1]) }

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A camera that reopens but fails again before any frame backs off further;
// a frame resets the back-off.
func TestStreamBackoffGrowsUntilAFrame(t *testing.T) {
	var log bytes.Buffer
	var mu sync.Mutex
	opens := 0
	reopen := func() (Camera, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		c := newFakeCamera("flaky")
		if opens < 4 {
			c.failAt = 1 // opens, then fails at once
		} else {
			c.failAt = 2 // one frame, then fails
		}
		return c, nil
	}
	first := newFakeCamera("flaky")
	first.failAt = 1
	s := NewStream(first, StreamOptions{Reopen: reopen, MinBackoff: 2 * time.Millisecond, MaxBackoff: 8 * time.Millisecond,
		Log: &syncWriter{w: &log, mu: &mu}})
	defer s.Close()
	_, err := s.Next(context.Background()) // from the 4th reopened camera
	require.NoError(t, err)
	for {
		mu.Lock()
		n := opens
		mu.Unlock()
		if n >= 5 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, s.Close())
	mu.Lock()
	defer mu.Unlock()
	var waits []string
	for _, line := range strings.Split(log.String(), "\n") {
		if _, after, ok := strings.Cut(line, "reopening in "); ok {
			waits = append(waits, after)
		}
	}
	require.Equal(t, []string{"2ms", "4ms", "8ms", "8ms", "2ms"}, waits[:5], log.String())
}

func TestStreamWithoutReopenEndsOnError(t *testing.T) {
	cam := newFakeCamera("cam")
	cam.failAt = 2
	s := NewStream(cam, StreamOptions{})
	defer s.Close()
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	_, err = s.Next(context.Background())
	require.ErrorContains(t, err, "unplugged")
}

func TestStreamCloseUnblocksEverything(t *testing.T) {
	cam := newFakeCamera("cam")
	cam.limit = 1 // then Read blocks until Close
	s := NewStream(cam, StreamOptions{})
	_, err := s.Next(context.Background())
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := s.Next(context.Background()); done <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, s.Close())
	require.ErrorIs(t, <-done, ErrClosed)
	require.NoError(t, s.Close())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := NewStream(newFakeCamera("cam"), StreamOptions{})
	defer s2.Close()
	s2.Next(ctx) // may return a frame or ctx.Err; it must not block
}

func TestStreamNextAllocatesNothing(t *testing.T) {
	cam := newFakeCamera("cam")
	s := NewStream(cam, StreamOptions{})
	defer s.Close()
	ctx := context.Background()
	_, err := s.Next(ctx)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := s.Next(ctx); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
