package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// StreamOptions configure a Stream. The zero value is valid: a lost camera
// then ends the stream.
type StreamOptions struct {
	// Reopen opens the camera again after a live camera was lost (a read
	// error, a command that exited, or a stall). nil: a lost camera ends
	// the stream.
	Reopen func() (Camera, error)
	// MinBackoff and MaxBackoff bound the wait between reopen attempts; it
	// starts at MinBackoff and doubles up to MaxBackoff (0.5 s and 8 s
	// when zero) while cameras fail before their first frame.
	MinBackoff, MaxBackoff time.Duration
	// StallTimeout is how long a live camera may take to deliver a frame:
	// after that it is closed and counts as lost (reported, and reopened
	// when Reopen is set). 0: no limit.
	StallTimeout time.Duration
	// NoDrop delivers every frame of a live camera too, as of a bounded
	// source: the reader waits for the consumer instead of dropping
	// frames, and a source that ends cleanly (a command that exits with
	// status 0, such as one playing a recorded MJPEG file) ends the stream
	// instead of being reopened.
	NoDrop bool
	// Log receives one line per lost, reopened or stalled camera and per
	// skipped frame; nil discards them.
	Log io.Writer

	clock clock // time.AfterFunc and time.After; tests replace it
}

// Stream reads a camera in its own goroutine and hands the newest frame to
// the consumer. It keeps three pre-allocated frames: one being filled, the
// newest complete one, and the one the consumer holds. A live camera never
// waits for the consumer: a frame replaced before anyone took it is counted
// as dropped. A bounded source (a folder, a video file) waits instead, so
// every frame is delivered, and its end ends the stream; so does a live one
// with NoDrop. A frame the source reports as a SkipError (an unreadable
// image in a folder) is skipped with a warning on Log.
type Stream struct {
	opt     StreamOptions
	bounded bool // the source has an end: no reopening
	wait    bool // the reader waits for the consumer (bounded or NoDrop)

	mu       sync.Mutex
	cam      Camera
	write    *Frame // filled by the reader goroutine (owned by it)
	ready    *Frame // newest complete frame
	held     *Frame // handed to the consumer by Next
	fresh    bool   // ready holds a frame the consumer has not taken
	finished bool
	err      error

	// reading is set while the reader is in Read with the stall watchdog
	// armed; the watchdog sets stalled when it fires meanwhile.
	reading, stalled bool
	watchdog         timer // nil without a StallTimeout or for bounded sources

	notify chan struct{} // reader -> consumer: a frame or the end is ready
	taken  chan struct{} // consumer -> reader: ready was taken (bounded sources)
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	captured, dropped, reopened, skipped atomic.Uint64
	// backoff is the next wait before a reopen (reader goroutine only). It
	// doubles when a reopened camera fails before giving a frame and goes
	// back to MinBackoff after a frame.
	backoff time.Duration
}

// NewStream starts reading cam. The stream owns cam from now on and closes
// it (and any camera Reopen returns) when it ends or is closed.
func NewStream(cam Camera, opt StreamOptions) *Stream {
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(8*time.Second, opt.MinBackoff)
	}
	if opt.clock == nil {
		opt.clock = realClock{}
	}
	bounded := IsBounded(cam)
	s := &Stream{
		opt: opt, bounded: bounded, wait: bounded || opt.NoDrop, cam: cam, backoff: opt.MinBackoff,
		write: new(Frame), ready: new(Frame), held: new(Frame),
		notify: make(chan struct{}, 1), taken: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	if opt.StallTimeout > 0 && !bounded {
		s.watchdog = opt.clock.AfterFunc(opt.StallTimeout, s.stall)
		s.watchdog.Stop()
	}
	s.wg.Add(1)
	go s.run()
	return s
}

// Next waits for a frame newer than the last one it returned and returns
// it. The frame stays valid (the reader will not touch it) until the next
// call to Next. At the end of a bounded source Next returns io.EOF; when a
// camera fails for good it returns that error; when ctx is done, ctx.Err().
func (s *Stream) Next(ctx context.Context) (*Frame, error) {
	for {
		s.mu.Lock()
		if s.fresh {
			s.held, s.ready = s.ready, s.held
			s.fresh = false
			f := s.held
			s.mu.Unlock()
			signal(s.taken)
			return f, nil
		}
		if s.finished {
			err := s.err
			s.mu.Unlock()
			return nil, err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.notify:
		}
	}
}

// Captured is the number of frames read from the camera so far.
func (s *Stream) Captured() uint64 { return s.captured.Load() }

// Dropped is the number of frames replaced by a newer one before the
// consumer took them.
func (s *Stream) Dropped() uint64 { return s.dropped.Load() }

// Reopened is the number of times a lost camera was opened again and then
// delivered a frame.
func (s *Stream) Reopened() uint64 { return s.reopened.Load() }

// Skipped is the number of frames the source could not read and skipped
// (see SkipError).
func (s *Stream) Skipped() uint64 { return s.skipped.Load() }

// Close stops the reader goroutine and closes the camera. It is safe to call
// more than once and concurrently with Next.
func (s *Stream) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.mu.Lock()
		cam := s.cam
		s.mu.Unlock()
		cam.Close() // interrupts a blocked Read; the reader closes it again on exit
	})
	s.wg.Wait()
	s.finish(ErrClosed)
	return nil
}

// run is the reader goroutine.
func (s *Stream) run() {
	defer s.wg.Done()
	defer func() { s.currentCamera().Close() }()
	if s.watchdog != nil {
		defer s.watchdog.Stop()
	}
	gotFrame := false // the current camera has delivered a frame
	announce := false // the current camera was reopened: say so at its first frame
	for !s.stopped() {
		cam := s.currentCamera()
		err := s.read(cam)
		if s.stopped() {
			return
		}
		if err == nil {
			if announce {
				announce = false
				s.reopened.Add(1)
				s.logf("camera %s reopened", cam.Name())
			}
			gotFrame = true
			s.backoff = s.opt.MinBackoff
			s.publish()
			continue
		}
		var skip *SkipError
		if errors.As(err, &skip) {
			s.skipped.Add(1)
			if s.opt.Log != nil {
				fmt.Fprintf(s.opt.Log, "warning: skipping %v\n", skip.Err)
			}
			continue
		}
		if s.bounded || s.opt.Reopen == nil || (s.opt.NoDrop && IsEnd(err)) {
			s.finish(err)
			return
		}
		if !s.reopen(cam, err, gotFrame) {
			return
		}
		gotFrame, announce = false, true
	}
}

// read reads a frame from cam, under the stall watchdog when there is one.
// A stall is an error naming the camera and the timeout.
func (s *Stream) read(cam Camera) error {
	if s.watchdog == nil {
		return cam.Read(s.write)
	}
	s.mu.Lock()
	s.reading = true
	s.mu.Unlock()
	s.watchdog.Reset(s.opt.StallTimeout)
	err := cam.Read(s.write)
	s.watchdog.Stop()
	s.mu.Lock()
	stalled := s.stalled
	s.reading, s.stalled = false, false
	s.mu.Unlock()
	if stalled {
		return fmt.Errorf("%s: no frame for %v", cam.Name(), s.opt.StallTimeout)
	}
	return err
}

// stall is the watchdog: it closes the camera the reader is waiting on,
// which ends its Read.
func (s *Stream) stall() {
	s.mu.Lock()
	if !s.reading {
		s.mu.Unlock()
		return // the frame came after all
	}
	s.stalled = true
	cam := s.cam
	s.mu.Unlock()
	cam.Close()
}

// publish makes the frame just read the newest one.
func (s *Stream) publish() {
	s.write.Seq = s.captured.Add(1) - 1
	if s.wait {
		// Wait until the consumer took the previous frame.
		for {
			s.mu.Lock()
			if !s.fresh {
				break
			}
			s.mu.Unlock()
			select {
			case <-s.taken:
			case <-s.stop:
				return
			}
		}
	} else {
		s.mu.Lock()
		if s.fresh {
			s.dropped.Add(1)
		}
	}
	s.write, s.ready = s.ready, s.write
	s.fresh = true
	s.mu.Unlock()
	signal(s.notify)
}

// reopen closes a lost camera and opens it again with back-off. A camera
// that failed before its first frame is reported as such, and the wait grows
// until one delivers. The reopened camera is announced by run once it
// delivers a frame. reopen returns false when the stream was stopped
// meanwhile.
func (s *Stream) reopen(lost Camera, cause error, gotFrame bool) bool {
	lost.Close()
	wait := s.backoff
	if gotFrame {
		s.logf("camera lost: %v; reopening in %v", cause, wait)
	} else {
		s.logf("camera failed before its first frame: %v; retrying in %v", cause, wait)
	}
	for {
		select {
		case <-s.stop:
			return false
		case <-s.opt.clock.After(wait):
		}
		cam, err := s.opt.Reopen()
		if err == nil {
			s.mu.Lock()
			s.cam = cam
			s.mu.Unlock()
			if s.stopped() {
				return false // run's deferred Close closes cam
			}
			s.backoff = min(2*wait, s.opt.MaxBackoff) // unless it delivers a frame
			return true
		}
		wait = min(2*wait, s.opt.MaxBackoff)
		s.logf("camera %s: reopen failed: %v; next try in %v", lost.Name(), err, wait)
	}
}

func (s *Stream) currentCamera() Camera {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cam
}

func (s *Stream) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// finish records the end of the stream (first cause wins).
func (s *Stream) finish(err error) {
	s.mu.Lock()
	if !s.finished {
		s.finished, s.err = true, err
	}
	s.mu.Unlock()
	signal(s.notify)
}

func (s *Stream) logf(format string, args ...any) {
	if s.opt.Log != nil {
		fmt.Fprintf(s.opt.Log, "edgecnn: "+format+"\n", args...)
	}
}

// signal does a non-blocking send on a 1-slot channel.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// IsEnd reports whether err is the normal end of a source: of a bounded
// one, or of a command that exited with status 0.
func IsEnd(err error) bool { return errors.Is(err, io.EOF) }

// SkipError is what a source's Read returns for a frame it cannot read when
// it can go on with the next one, such as an unreadable image in a folder.
// Stream skips it with a warning.
type SkipError struct{ Err error }

func (e *SkipError) Error() string { return "skipped: " + e.Err.Error() }
func (e *SkipError) Unwrap() error { return e.Err }

// clock is the time a Stream waits on: the stall watchdog and the back-off.
type clock interface {
	AfterFunc(d time.Duration, f func()) timer
	After(d time.Duration) <-chan time.Time
}

// timer is the part of *time.Timer a Stream uses.
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// realClock is the system's clock.
type realClock struct{}

func (realClock) AfterFunc(d time.Duration, f func()) timer { return time.AfterFunc(d, f) }
func (realClock) After(d time.Duration) <-chan time.Time    { return time.After(d) }
