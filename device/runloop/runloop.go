// Package runloop is the on-device loop of edgecnn run: take the newest
// camera frame, classify it, drive the GPIO outputs, print the result, and
// every few seconds a summary (frames per second, latency median and p99,
// dropped frames). In steady state it allocates nothing per frame.
package runloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/pinout"
)

// Source hands out the newest frame; *device.Stream is one.
type Source interface {
	Next(ctx context.Context) (*device.Frame, error)
	Dropped() uint64
}

// Prediction is a classifier's answer for one frame.
type Prediction struct {
	Class       int
	Label       string
	Probability float32
	// Probabilities has one entry per class; it may alias the classifier's
	// buffer and is only read before the next call.
	Probabilities []float32
}

// Classifier classifies a packed RGB frame.
type Classifier interface {
	Classify(f *device.Frame) (Prediction, error)
}

// Observer sees every classified frame, on the loop's goroutine, right after
// classification (a live page, a saver of uncertain frames). Observe must
// return quickly and never block: it copies what it needs, as f and p are
// only valid during the call.
type Observer interface {
	Observe(f *device.Frame, p Prediction, latency time.Duration)
}

// Config configures a Loop.
type Config struct {
	Source     Source
	Classifier Classifier
	// Pins is optional.
	Pins *pinout.Driver
	// Out receives one line per frame: JSON (keys frame, label,
	// probability, latency_ms and file when the source has file names) or
	// tab-separated text. nil: no per-frame output.
	Out  io.Writer
	JSON bool
	// Log receives the periodic and final summaries; nil: none.
	Log io.Writer
	// MaxFrames stops the loop after that many frames (0: no limit).
	MaxFrames int
	// FPS caps the classification rate (0: as fast as frames come).
	FPS float64
	// SummaryEvery is the period of summaries on Log (0: only the final).
	SummaryEvery time.Duration
	// Observers see every classified frame, in order; optional.
	Observers []Observer
}

// Summary describes a run or one period of it.
type Summary struct {
	Frames        uint64
	Dropped       uint64
	Elapsed       time.Duration
	FPS           float64
	LatencyMedian time.Duration
	LatencyP99    time.Duration
}

// Loop runs the classification loop; see New.
type Loop struct {
	cfg   Config
	line  []byte
	timer *time.Timer
	now   func() time.Time // time.Now; tests replace it

	start, periodStart, nextFrame time.Time
	frames, periodFrames          uint64
	droppedAtPeriod               uint64
	total, period                 histogram
}

// New checks cfg and returns a loop ready to Run.
func New(cfg Config) (*Loop, error) {
	if cfg.Source == nil || cfg.Classifier == nil {
		return nil, errors.New("runloop: a source and a classifier are required")
	}
	if cfg.FPS < 0 || cfg.MaxFrames < 0 || cfg.SummaryEvery < 0 {
		return nil, errors.New("runloop: fps, frames and summary period must not be negative")
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Loop{cfg: cfg, line: make([]byte, 0, 512), timer: t, now: time.Now}, nil
}

// Run processes frames until the source ends, MaxFrames is reached or ctx
// is cancelled (a clean stop, not an error), and prints the final summary.
// A classifier, GPIO or output error stops the loop and is returned.
func (l *Loop) Run(ctx context.Context) (Summary, error) {
	l.start = l.now()
	l.periodStart = l.start
	var err error
	for l.cfg.MaxFrames == 0 || l.frames < uint64(l.cfg.MaxFrames) {
		if err = l.Step(ctx); err != nil {
			break
		}
	}
	if device.IsEnd(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	s := l.summary(l.start, l.frames, l.cfg.Source.Dropped(), &l.total)
	if l.cfg.Log != nil {
		fmt.Fprintf(l.cfg.Log, "edgecnn: done: %s\n", s)
	}
	return s, err
}

// Step waits for the next frame (and for the rate cap), classifies it and
// reports the result. It allocates nothing in steady state.
func (l *Loop) Step(ctx context.Context) error {
	if err := l.pace(ctx); err != nil {
		return err
	}
	f, err := l.cfg.Source.Next(ctx)
	if err != nil {
		return err
	}
	t0 := l.now()
	p, err := l.cfg.Classifier.Classify(f)
	if err != nil {
		return fmt.Errorf("frame %d: %w", f.Seq, err)
	}
	t1 := l.now()
	lat := t1.Sub(t0)
	l.total.add(lat)
	l.period.add(lat)
	l.frames++
	l.periodFrames++
	for _, o := range l.cfg.Observers {
		o.Observe(f, p, lat)
	}
	if l.cfg.Pins != nil {
		if err := l.cfg.Pins.Update(p.Probabilities, t1); err != nil {
			return err
		}
	}
	if l.cfg.Out != nil {
		l.line = appendResult(l.line[:0], l.cfg.JSON, f.Seq, p.Label, p.Probability, float64(lat)/float64(time.Millisecond), f.File)
		if _, err := l.cfg.Out.Write(l.line); err != nil {
			return err
		}
	}
	if l.cfg.SummaryEvery > 0 && t1.Sub(l.periodStart) >= l.cfg.SummaryEvery {
		l.periodSummary(t1)
	}
	return nil
}

// pace sleeps until the next frame is due under the FPS cap.
func (l *Loop) pace(ctx context.Context) error {
	if l.cfg.FPS <= 0 {
		return nil
	}
	now := l.now()
	if wait := l.nextFrame.Sub(now); wait > 0 {
		l.timer.Reset(wait)
		select {
		case <-ctx.Done():
			l.timer.Stop()
			return ctx.Err()
		case <-l.timer.C:
		}
		now = l.nextFrame
	}
	l.nextFrame = now.Add(time.Duration(float64(time.Second) / l.cfg.FPS))
	return nil
}

func (l *Loop) periodSummary(now time.Time) {
	dropped := l.cfg.Source.Dropped()
	s := l.summary(l.periodStart, l.periodFrames, dropped-l.droppedAtPeriod, &l.period)
	if l.cfg.Log != nil {
		fmt.Fprintf(l.cfg.Log, "edgecnn: %s\n", s)
	}
	l.periodStart, l.periodFrames, l.droppedAtPeriod = now, 0, dropped
	l.period.reset()
}

func (l *Loop) summary(since time.Time, frames, dropped uint64, h *histogram) Summary {
	s := Summary{Frames: frames, Dropped: dropped, Elapsed: l.now().Sub(since),
		LatencyMedian: h.quantile(0.5), LatencyP99: h.quantile(0.99)}
	if s.Elapsed > 0 {
		s.FPS = float64(frames) / s.Elapsed.Seconds()
	}
	return s
}

// String formats a summary for humans.
func (s Summary) String() string {
	return fmt.Sprintf("%d frames in %.1fs, %.1f fps, latency median %.2f ms p99 %.2f ms, %d dropped",
		s.Frames, s.Elapsed.Seconds(), s.FPS, ms(s.LatencyMedian), ms(s.LatencyP99), s.Dropped)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
