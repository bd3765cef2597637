package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/runloop"
)

// Request asks the capture loop to save the next frame under Label. When
// Reply is set it receives the result (the path written, or the error).
type Request struct {
	Label string
	Reply chan<- Result
}

// Result is the outcome of a Request.
type Result struct {
	Path string
	Err  error
}

// Source hands out the newest camera frame; *device.Stream is one.
type Source interface {
	Next(ctx context.Context) (*device.Frame, error)
}

// Loop saves frames from a camera when asked.
type Loop struct {
	Source   Source
	Saver    *Saver
	Requests <-chan Request
	// Observer, when set, sees every frame (the live page); it gets no
	// prediction.
	Observer runloop.Observer
	// Log receives a line per frame saved or failed; nil: none.
	Log io.Writer
	// Limit stops the loop after that many saved frames (0: no limit).
	Limit int
}

// Run reads frames until the source ends, ctx is done (both a clean stop)
// or Limit frames were saved, and saves the frame that follows each request. Saving errors are
// logged (and replied) and do not stop the loop; a camera error does.
func (l *Loop) Run(ctx context.Context) (saved int, err error) {
	none := runloop.Prediction{Class: -1}
	for l.Limit == 0 || saved < l.Limit {
		f, err := l.Source.Next(ctx)
		if err != nil {
			if device.IsEnd(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				err = nil
			}
			return saved, err
		}
		if l.Observer != nil {
			l.Observer.Observe(f, none, 0)
		}
		for pending := true; pending && (l.Limit == 0 || saved < l.Limit); {
			select {
			case req := <-l.Requests:
				path, err := l.Saver.Save(f, req.Label, "")
				if err == nil {
					saved++
					l.logf("saved frame %d as %s", f.Seq, path)
				} else {
					l.logf("%v", err)
				}
				if req.Reply != nil {
					req.Reply <- Result{Path: path, Err: err}
				}
			default:
				pending = false
			}
		}
	}
	return saved, nil
}

func (l *Loop) logf(format string, args ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, "edgecnn: "+format+"\n", args...)
	}
}

// send delivers req unless ctx is done first.
func send(ctx context.Context, out chan<- Request, req Request) bool {
	select {
	case out <- req:
		return true
	case <-ctx.Done():
		return false
	}
}

// ReadKeys sends a request per line of r (a key press is Enter): an empty
// line saves under label, a line with a word saves under that word. It
// returns at the end of r or when ctx is done.
func ReadKeys(ctx context.Context, r io.Reader, label string, out chan<- Request) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" {
			l = label
		}
		if !send(ctx, out, Request{Label: l}) {
			return nil
		}
	}
	return sc.Err()
}

// Every sends a request for label every interval until ctx is done.
func Every(ctx context.Context, interval time.Duration, label string, out chan<- Request) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !send(ctx, out, Request{Label: label}) {
				return
			}
		}
	}
}

// ButtonDebounce is the least time between two presses of a button.
const ButtonDebounce = 200 * time.Millisecond

// WatchButton sends a request for label each time pin goes low (a push
// button between the pin and ground, with the pull-up on), ignoring
// bounces within ButtonDebounce, until ctx is done.
func WatchButton(ctx context.Context, pin gpio.PinIn, label string, out chan<- Request) error {
	if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
		return fmt.Errorf("button %s: %w", pin.Name(), err)
	}
	var last time.Time
	for ctx.Err() == nil {
		if !pin.WaitForEdge(100 * time.Millisecond) {
			continue
		}
		now := time.Now()
		if pin.Read() != gpio.Low || now.Sub(last) < ButtonDebounce {
			continue
		}
		last = now
		if !send(ctx, out, Request{Label: label}) {
			break
		}
	}
	return nil
}
