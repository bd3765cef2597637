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
// (see frameNumber). It fails its Read number failAt (1-based) if set, and
// ends after limit frames when bounded; a live one then blocks until
// closed. With gate set, each Read first waits for a value on it.
type fakeCamera struct {
	name    string
	n       atomic.Int64
	limit   int64
	failAt  int64
	bounded bool
	delay   time.Duration
	gate    chan struct{}
	reads   atomic.Int64 // Read calls entered
	given   int64        // frames let through the gate by give
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
	c.reads.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-c.stop:
		}
	} else if c.delay > 0 {
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

// give lets a gated camera make n more frames and waits until the stream
// has published them all and waits in the next Read.
func (c *fakeCamera) give(t *testing.T, n int) {
	t.Helper()
	for range n {
		c.gate <- struct{}{}
	}
	c.given += int64(n)
	deadline := time.Now().Add(20 * time.Second)
	for c.reads.Load() <= c.given {
		require.True(t, time.Now().Before(deadline), "the stream stopped reading")
		time.Sleep(100 * time.Microsecond)
	}
}

func TestStreamLiveKeepsNewestAndCountsDrops(t *testing.T) {
	cam := newFakeCamera("live")
	cam.gate = make(chan struct{})
	s := NewStream(cam, StreamOptions{})
	defer s.Close()
	ctx := context.Background()
	cam.give(t, 1)
	f, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, frameNumber(f))
	cam.give(t, 10) // the camera runs on meanwhile
	f, err = s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 11, frameNumber(f), "Next returns the newest frame, not the next one")
	require.Equal(t, uint64(10), f.Seq)
	require.Equal(t, uint64(11), s.Captured())
	require.Equal(t, uint64(9), s.Dropped(), "frames 2 to 10 were replaced unseen")
}

func TestStreamReopensLostCameraWithBackoff(t *testing.T) {
	first := newFakeCamera("cam0")
	first.failAt = 3
	var opens atomic.Int32
	var second *fakeCamera
	reopen := func() (Camera, error) {
		if opens.Add(1) < 3 {
			return nil, errors.New("no such device")
		}
		second = newFakeCamera("cam0")
		second.n.Store(100)
		return second, nil
	}
	clk, log := newFakeClock(), &logBuffer{}
	s := NewStream(first, StreamOptions{Reopen: reopen, Log: log, clock: clk})
	ctx := context.Background()
	f, err := s.Next(ctx)
	require.NoError(t, err)
	require.LessOrEqual(t, frameNumber(f), 2, "the first camera gave two frames")
	clk.advanceArmed(t, 500*time.Millisecond)
	clk.advanceArmed(t, time.Second)
	clk.advanceArmed(t, 2*time.Second)
	for frameNumber(f) <= 100 {
		f, err = s.Next(ctx)
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	require.Equal(t, uint64(1), s.Reopened())
	require.Positive(t, first.closed.Load())
	require.Positive(t, second.closed.Load())
	require.Equal(t, []string{
		"edgecnn: camera lost: unplugged; reopening in 500ms",
		"edgecnn: camera cam0: reopen failed: no such device; next try in 1s",
		"edgecnn: camera cam0: reopen failed: no such device; next try in 2s",
		"edgecnn: camera cam0 reopened",
	}, log.lines())
}

func frameNumber(f *Frame) int { return int(f.Pix[0])<<8 | int(f.Pix[1]) }

// logBuffer is a stream's Log that a test reads while the stream writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSuffix(l.b.String(), "\n"), "\n")
}

// Cameras that fail before their first frame are retried with a growing
// wait, and none is called reopened; a frame resets the wait.
func TestStreamBackoffGrowsUntilAFrame(t *testing.T) {
	var opens atomic.Int32
	reopen := func() (Camera, error) {
		c := newFakeCamera("flaky")
		c.failAt = 1 // opens, then fails at once
		if opens.Add(1) == 6 {
			c.failAt = 2 // one frame, then fails
		}
		return c, nil
	}
	first := newFakeCamera("flaky")
	first.failAt = 1
	clk, log := newFakeClock(), &logBuffer{}
	s := NewStream(first, StreamOptions{Reopen: reopen, Log: log, clock: clk})
	defer s.Close()
	for _, wait := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		clk.advanceArmed(t, wait)
	}
	_, err := s.Next(context.Background()) // from the 6th reopened camera
	require.NoError(t, err)
	clk.advanceArmed(t, 500*time.Millisecond) // it gave a frame: back to the shortest wait
	clk.waitArmed(t, time.Second)
	require.NoError(t, s.Close())
	require.Equal(t, uint64(1), s.Reopened())
	const before = "edgecnn: camera failed before its first frame: unplugged; retrying in "
	require.Equal(t, []string{
		before + "500ms", before + "1s", before + "2s", before + "4s", before + "8s", before + "8s",
		"edgecnn: camera flaky reopened",
		"edgecnn: camera lost: unplugged; reopening in 500ms",
		before + "1s",
	}, log.lines())
}

// A live camera that gives no frame for StallTimeout is closed, reported
// and reopened; "reopened" comes only with the new camera's first frame.
func TestStreamStalledCameraIsReopened(t *testing.T) {
	first := newFakeCamera("cam0")
	first.limit = 1 // one frame, then silence
	stuck := newFakeCamera("cam1")
	stuck.gate = make(chan struct{}) // no frame until the test says so
	stuck.n.Store(100)
	late := newFakeCamera("cam2")
	late.gate = make(chan struct{})
	late.n.Store(200)
	cams := []*fakeCamera{stuck, late}
	var opens atomic.Int32
	reopen := func() (Camera, error) { return cams[opens.Add(1)-1], nil }
	clk, log := newFakeClock(), &logBuffer{}
	s := NewStream(first, StreamOptions{Reopen: reopen, StallTimeout: 5 * time.Second, Log: log, clock: clk})
	defer s.Close()
	ctx := context.Background()
	f, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, frameNumber(f))

	clk.advanceArmed(t, 5*time.Second) // the watchdog of the second Read
	clk.advanceArmed(t, 500*time.Millisecond)
	require.Positive(t, first.closed.Load(), "the stalled camera was closed")
	clk.advanceArmed(t, 5*time.Second) // the reopened camera stalls too
	clk.advanceArmed(t, time.Second)
	require.Positive(t, stuck.closed.Load())
	clk.waitArmed(t, 5*time.Second) // the third camera is being read
	require.Equal(t, []string{
		"edgecnn: camera lost: cam0: no frame for 5s; reopening in 500ms",
		"edgecnn: camera failed before its first frame: cam1: no frame for 5s; retrying in 1s",
	}, log.lines(), "no camera reopened before a frame came")
	require.Zero(t, s.Reopened())

	late.gate <- struct{}{}
	f, err = s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, 201, frameNumber(f))
	require.Equal(t, uint64(1), s.Reopened())
	require.Equal(t, "edgecnn: camera cam2 reopened", log.lines()[2])
	require.Len(t, log.lines(), 3)
}

// With NoDrop a live camera waits for the consumer: every frame arrives.
func TestStreamNoDropDeliversEveryLiveFrame(t *testing.T) {
	cam := newFakeCamera("live")
	s := NewStream(cam, StreamOptions{NoDrop: true})
	defer s.Close()
	for i := 1; i <= 300; i++ {
		f, err := s.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, i, frameNumber(f))
		require.Equal(t, uint64(i-1), f.Seq)
	}
	require.Zero(t, s.Dropped())
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
