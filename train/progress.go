package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// KerasLogger prints training progress the way Keras' fit(verbose=1) does:
//
//	Epoch 3/50
//	125/125 [==============================] - 3s 24ms/step - loss: 0.4120 - binary_accuracy: 0.8100 - val_loss: 0.3912 - val_binary_accuracy: 0.8300
//
// With Live set (a terminal) the bar is redrawn after every batch with an
// ETA; otherwise only the finished line is written.
type KerasLogger struct {
	W      io.Writer
	Live   bool
	Metric string // binary_accuracy or accuracy
	last   time.Time
	header int // the epoch whose header line was printed
}

// Progress is a FitOptions.Progress callback.
func (k *KerasLogger) Progress(p Progress) {
	switch {
	case !p.Done && p.Epoch != k.header: // an epoch begins, or resumes
		k.header = p.Epoch
		fmt.Fprintf(k.W, "Epoch %d/%d", p.Epoch, p.Epochs)
		if p.Step > 0 {
			fmt.Fprintf(k.W, " (resumed after batch %d of %d)", p.Step, p.Steps)
		}
		fmt.Fprintln(k.W)
	case p.Done:
		perStep := p.Elapsed / time.Duration(max(p.Steps, 1))
		line := fmt.Sprintf("%d/%d %s - %s %s/step%s", p.Steps, p.Steps, bar(p.Steps, p.Steps), round(p.Elapsed), stepTime(perStep), k.figures(p.Log))
		if k.Live {
			fmt.Fprintf(k.W, "\r%s\x1b[K\n", line)
		} else {
			fmt.Fprintln(k.W, line)
		}
	case k.Live && (time.Since(k.last) > 100*time.Millisecond || p.Step == p.Steps):
		k.last = time.Now()
		eta := time.Duration(float64(p.Elapsed) / float64(p.Step) * float64(p.Steps-p.Step))
		w := len(fmt.Sprint(p.Steps))
		fmt.Fprintf(k.W, "\r%*d/%d %s - ETA: %s%s\x1b[K", w, p.Step, p.Steps, bar(p.Step, p.Steps), round(eta), k.figures(p.Log))
	}
}

func (k *KerasLogger) figures(e EpochLog) string {
	s := fmt.Sprintf(" - loss: %.4f - %s: %.4f", e.Loss, k.Metric, e.Accuracy)
	if e.HasValidation() {
		s += fmt.Sprintf(" - val_loss: %.4f - val_%s: %.4f", e.ValLoss, k.Metric, e.ValAccuracy)
	}
	return s
}

// bar is Keras' 30-character progress bar.
func bar(step, steps int) string {
	const width = 30
	filled := width * step / max(steps, 1)
	if filled >= width {
		return "[" + strings.Repeat("=", width) + "]"
	}
	arrow := ""
	if filled > 0 {
		arrow = strings.Repeat("=", filled-1) + ">"
	}
	return "[" + arrow + strings.Repeat(".", width-len(arrow)) + "]"
}

func round(d time.Duration) string {
	return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
}

func stepTime(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	if d >= time.Millisecond {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%dus", d.Microseconds())
}
