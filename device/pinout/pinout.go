// Package pinout drives GPIO output pins from classification results: a
// pin goes high while its class is seen with a probability above a
// threshold, and goes low only after the class has been absent for a hold
// time, so a flickering detection does not flicker the pin.
//
// The package works on periph's gpio.PinOut; resolving pin names (gpioreg)
// is left to the command, so tests can use gpiotest pins.
package pinout

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Binding connects one output pin to one class.
type Binding struct {
	Pin   gpio.PinOut
	Class int    // index into the model's labels
	Label string // the class name, for messages
}

// output is a binding with its state.
type output struct {
	Binding
	high     bool
	lastSeen time.Time
}

// Driver sets pins from per-class probabilities.
type Driver struct {
	outs      []output
	threshold float32
	hold      time.Duration
}

// New drives every bound pin low and returns a driver for them. A pin that
// cannot be driven is an error; pins already set are driven low again.
func New(bindings []Binding, threshold float32, hold time.Duration) (*Driver, error) {
	if threshold < 0 || threshold >= 1 {
		return nil, fmt.Errorf("threshold %v is outside [0, 1)", threshold)
	}
	if hold < 0 {
		return nil, fmt.Errorf("hold %v is negative", hold)
	}
	d := &Driver{threshold: threshold, hold: hold}
	for _, b := range bindings {
		if err := b.Pin.Out(gpio.Low); err != nil {
			d.Release()
			return nil, fmt.Errorf("gpio %s: %w", b.Pin.Name(), err)
		}
		d.outs = append(d.outs, output{Binding: b})
	}
	return d, nil
}

// Update applies one frame's probabilities (indexed by class) seen at now.
// A pin goes high as soon as its class's probability exceeds the threshold
// and low once the class has not been seen for the hold time.
func (d *Driver) Update(probs []float32, now time.Time) error {
	for i := range d.outs {
		o := &d.outs[i]
		seen := o.Class < len(probs) && probs[o.Class] > d.threshold
		switch {
		case seen:
			o.lastSeen = now
			if !o.high {
				if err := o.Pin.Out(gpio.High); err != nil {
					return fmt.Errorf("gpio %s: %w", o.Pin.Name(), err)
				}
				o.high = true
			}
		case o.high && now.Sub(o.lastSeen) >= d.hold:
			if err := o.Pin.Out(gpio.Low); err != nil {
				return fmt.Errorf("gpio %s: %w", o.Pin.Name(), err)
			}
			o.high = false
		}
	}
	return nil
}

// Release drives every pin low and halts it.
func (d *Driver) Release() error {
	var errs []error
	for i := range d.outs {
		o := &d.outs[i]
		if err := o.Pin.Out(gpio.Low); err != nil {
			errs = append(errs, fmt.Errorf("gpio %s: %w", o.Pin.Name(), err))
		}
		if err := o.Pin.Halt(); err != nil {
			errs = append(errs, fmt.Errorf("gpio %s: %w", o.Pin.Name(), err))
		}
		o.high = false
	}
	return errors.Join(errs...)
}

// ParseSpec splits a --gpio value "PIN=CLASS" (for example GPIO17=Truck).
func ParseSpec(s string) (pin, class string, err error) {
	pin, class, ok := strings.Cut(s, "=")
	pin, class = strings.TrimSpace(pin), strings.TrimSpace(class)
	if !ok || pin == "" || class == "" {
		return "", "", fmt.Errorf("--gpio %q: want PIN=CLASS, for example GPIO17=Truck", s)
	}
	return pin, class, nil
}
