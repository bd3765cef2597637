package capture

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/runloop"
)

// UncertainOptions configure an Uncertain saver.
type UncertainOptions struct {
	// Below is the top-class probability under which a frame is saved.
	Below float32
	// Every is the least time between two saved frames (rate limit).
	Every time.Duration
	// Log receives a line per saved frame and one when the quota is
	// reached; nil: none.
	Log io.Writer
}

// Uncertain is a run-loop observer that saves the frames whose top
// probability is under a threshold into Dir/<predicted label>/, for
// relabelling and retraining. Observe only copies the frame into a
// preallocated buffer; a goroutine of its own resizes, encodes and writes
// it. A frame that comes while the previous one is still being written, or
// sooner than Every after the last one saved, is skipped.
type Uncertain struct {
	saver *Saver
	opt   UncertainOptions

	mu      sync.Mutex
	frame   device.Frame
	label   string
	prob    float32
	pending bool
	last    time.Time

	full  atomic.Bool // the quota was reached: stop copying
	saved atomic.Uint64
	wake  chan struct{}
	done  chan struct{}
}

// NewUncertain starts the saving goroutine; Close stops it.
func NewUncertain(s *Saver, opt UncertainOptions) (*Uncertain, error) {
	if opt.Below <= 0 || opt.Below > 1 {
		return nil, fmt.Errorf("save uncertain: threshold %g: want a probability in (0, 1]", opt.Below)
	}
	if opt.Every < 0 {
		return nil, fmt.Errorf("save uncertain: interval %v must not be negative", opt.Every)
	}
	u := &Uncertain{saver: s, opt: opt, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go u.run()
	return u, nil
}

// Observe takes a copy of f when the model was unsure of it and the rate
// limit allows (runloop.Observer). It never waits for the disk.
func (u *Uncertain) Observe(f *device.Frame, p runloop.Prediction, _ time.Duration) {
	if p.Probability >= u.opt.Below || u.full.Load() {
		return
	}
	now := time.Now()
	u.mu.Lock()
	if u.pending || (!u.last.IsZero() && now.Sub(u.last) < u.opt.Every) {
		u.mu.Unlock()
		return
	}
	u.frame.Resize(f.Width, f.Height)
	copy(u.frame.Pix, f.Pix)
	u.frame.Seq, u.frame.Time = f.Seq, f.Time
	u.label, u.prob = p.Label, p.Probability
	u.pending, u.last = true, now
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Saved is the number of frames written so far.
func (u *Uncertain) Saved() uint64 { return u.saved.Load() }

// Close waits for a frame being written and stops the goroutine. Call it
// once the run loop no longer calls Observe.
func (u *Uncertain) Close() {
	close(u.wake)
	<-u.done
}

func (u *Uncertain) run() {
	defer close(u.done)
	for range u.wake {
		u.mu.Lock()
		pending := u.pending
		u.mu.Unlock()
		if !pending {
			continue
		}
		// Observe leaves the frame alone while pending is set.
		note := "p" + strconv.FormatFloat(float64(u.prob), 'f', 2, 32)
		path, err := u.saver.Save(&u.frame, u.label, note)
		switch {
		case err == nil:
			u.saved.Add(1)
			u.logf("saved uncertain frame %d (%s %.2f) as %s", u.frame.Seq, u.label, u.prob, path)
		case errors.Is(err, ErrQuota):
			u.full.Store(true)
			u.logf("%v; no more uncertain frames are saved", err)
		default:
			u.logf("%v", err)
		}
		u.mu.Lock()
		u.pending = false
		u.mu.Unlock()
	}
}

func (u *Uncertain) logf(format string, args ...any) {
	if u.opt.Log != nil {
		fmt.Fprintf(u.opt.Log, "edgecnn: "+format+"\n", args...)
	}
}
