package firmware

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Config is a release's run configuration: what the systemd unit passes to
// "edgecnn run".
type Config struct {
	// Camera is a camera spec as "edgecnn run --camera" takes it: an index,
	// /dev/videoN, a file, a folder, cmd:..., gst:....
	Camera string `json:"camera" yaml:"camera"`
	// Threads for inference; 0 lets the runtime choose.
	Threads int `json:"threads,omitempty" yaml:"threads"`
	// Threshold is the probability a label needs to act on GPIO, in [0, 1].
	Threshold float64 `json:"threshold" yaml:"threshold"`
	// GPIO rules: drive Pin high while the model sees Label.
	GPIO []GPIORule `json:"gpio,omitempty" yaml:"gpio"`
}

// GPIORule drives one output pin from one label.
type GPIORule struct {
	Pin   string `json:"pin" yaml:"pin"`
	Label string `json:"label" yaml:"label"`
}

// DefaultConfig is used when a build names no config: camera 0, threshold
// 0.5, no GPIO.
func DefaultConfig() Config { return Config{Camera: "0", Threshold: 0.5} }

var pinRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`) }) // compiled on first use: at start-up it costs milliseconds

// Validate checks c against the model's labels.
func (c *Config) Validate(labels []string) error {
	if strings.TrimSpace(c.Camera) == "" {
		return fmt.Errorf("camera is empty")
	}
	if strings.ContainsFunc(c.Camera, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("camera %q has a control character", c.Camera)
	}
	if c.Threads < 0 || c.Threads > 64 {
		return fmt.Errorf("threads %d is outside [0, 64]", c.Threads)
	}
	if !(c.Threshold >= 0 && c.Threshold <= 1) {
		return fmt.Errorf("threshold %v is outside [0, 1]", c.Threshold)
	}
	pins := map[string]bool{}
	for i, g := range c.GPIO {
		if !pinRE().MatchString(g.Pin) {
			return fmt.Errorf("gpio rule %d: pin %q is not a pin name such as GPIO17", i+1, g.Pin)
		}
		if pins[g.Pin] {
			return fmt.Errorf("gpio rule %d: pin %s is used twice", i+1, g.Pin)
		}
		pins[g.Pin] = true
		if !slices.Contains(labels, g.Label) {
			return fmt.Errorf("gpio rule %d: label %q is not one of the model's labels %q", i+1, g.Label, labels)
		}
	}
	return nil
}
