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
	// error, or a command that exited). nil: a lost camera ends the stream.
	Reopen func() (Camera, error)
	// MinBackoff and MaxBackoff bound the wait between reopen attempts; it
	// starts at MinBackoff and doubles up to MaxBackoff (0.5 s and 8 s
	// when zero).
	MinBackoff, MaxBackoff time.Duration
	// Log receives one line per lost or reopened camera; nil discards them.
	Log io.Writer
}

// Stream reads a camera in its own goroutine and hands the newest frame to
// the consumer. It keeps three pre-allocated frames: one being filled, the
// newest complete one, and the one the consumer holds. A live camera never
// waits for the consumer: a frame replaced before anyone took it is counted
// as dropped. A bounded source (a folder, a video file) waits instead, so
// every frame is delivered, and its end ends the stream.
type Stream struct {
	opt     StreamOptions
	bounded bool

	mu       sync.Mutex
	cam      Camera
	write    *Frame // filled by the reader goroutine (owned by it)
	ready    *Frame // newest complete frame
	held     *Frame // handed to the consumer by Next
	fresh    bool   // ready holds a frame the consumer has not taken
	finished bool
	err      error

	notify chan struct{} // reader -> consumer: a frame or the end is ready
	taken  chan struct{} // consumer -> reader: ready was taken (bounded sources)
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	captured, dropped, reopened atomic.Uint64
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
	s := &Stream{
		opt: opt, bounded: IsBounded(cam), cam: cam, backoff: opt.MinBackoff,
		write: new(Frame), ready: new(Frame), held: new(Frame),
		notify: make(chan struct{}, 1), taken: make(chan struct{}, 1), stop: make(chan struct{}),
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

// Reopened is the number of times a lost camera was opened again.
func (s *Stream) Reopened() uint64 { return s.reopened.Load() }

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
	for !s.stopped() {
		cam := s.currentCamera()
		err := cam.Read(s.write)
		if s.stopped() {
			return
		}
		if err == nil {
			s.backoff = s.opt.MinBackoff
			s.publish()
			continue
		}
		if s.bounded || s.opt.Reopen == nil {
			s.finish(err)
			return
		}
		if !s.reopen(cam, err) {
			return
		}
	}
}

// publish makes the frame just read the newest one.
func (s *Stream) publish() {
	s.write.Seq = s.captured.Add(1) - 1
	if s.bounded {
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

// reopen closes a lost camera and opens it again with back-off. It returns
// false when the stream was stopped meanwhile.
func (s *Stream) reopen(lost Camera, cause error) bool {
	lost.Close()
	wait := s.backoff
	s.logf("camera lost: %v; reopening in %v", cause, wait)
	for {
		select {
		case <-s.stop:
			return false
		case <-time.After(wait):
		}
		cam, err := s.opt.Reopen()
		if err == nil {
			s.mu.Lock()
			s.cam = cam
			s.mu.Unlock()
			if s.stopped() {
				return false // run's deferred Close closes cam
			}
			s.reopened.Add(1)
			s.backoff = min(2*wait, s.opt.MaxBackoff) // unless it delivers a frame
			s.logf("camera %s reopened", cam.Name())
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

// IsEnd reports whether err is the normal end of a bounded source.
func IsEnd(err error) bool { return errors.Is(err, io.EOF) }
