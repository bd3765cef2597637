package quantize

import (
	"fmt"

	"github.com/edgecnn/edgecnn/model"
)

// Step is one layer of the quantised graph and the float layers it stands for.
type Step struct {
	// Layer is the float layer it is built from.
	Layer int
	// BatchNorm is the float BatchNormalization folded into it, or -1.
	BatchNorm int
	// Output is the float layer whose output it reproduces: BatchNorm when
	// folded, else Layer.
	Output int
	// Activation is the fused activation.
	Activation string
	// Dropped lists the Dropout layers removed after it.
	Dropped []int
}

// Plan maps the float model's layers onto the layers of its quantised graph:
// BatchNormalization folded into the preceding linear Conv2D or Dense,
// Dropout removed. It refuses layers and activations the int8 runtime cannot
// run.
func Plan(m *model.Model) ([]Step, error) {
	var steps []Step
	last := len(m.Layers) - 1
	for i := 0; i < len(m.Layers); i++ {
		l := &m.Layers[i]
		where := func(f string, a ...any) error {
			return fmt.Errorf("layer %d (%s, %s): %s", i, l.Name, l.Type, fmt.Sprintf(f, a...))
		}
		switch l.Type {
		case model.Dropout:
			if len(steps) == 0 {
				continue // dropout on the input: nothing to attach it to
			}
			s := &steps[len(steps)-1]
			s.Dropped = append(s.Dropped, i)
			continue
		case model.BatchNormalization:
			return nil, where("BatchNormalization can only be folded into a Conv2D or Dense without activation directly before it")
		case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D, model.Flatten:
			steps = append(steps, Step{Layer: i, BatchNorm: -1, Output: i, Activation: model.Linear})
			continue
		case model.Conv2D, model.Dense:
		default:
			return nil, where("layer type %q is not supported by the int8 runtime", l.Type)
		}
		s := Step{Layer: i, BatchNorm: -1, Output: i, Activation: activation(l.Activation)}
		if i < last && m.Layers[i+1].Type == model.BatchNormalization {
			if s.Activation != model.Linear {
				return nil, fmt.Errorf("layer %d (%s): BatchNormalization after a %s with activation %s cannot be folded (put the activation after the BatchNormalization)",
					i+1, m.Layers[i+1].Name, l.Type, s.Activation)
			}
			i++
			s.BatchNorm, s.Output = i, i
		}
		if err := checkActivation(m, s); err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("model %q has no layers to quantise", m.Name)
	}
	return steps, nil
}

// activation normalises an empty activation to linear.
func activation(a string) string {
	if a == "" {
		return model.Linear
	}
	return a
}

// isHead tells whether step s produces the model's output (only Dropout may
// follow it).
func isHead(m *model.Model, s Step) bool {
	for _, l := range m.Layers[s.Output+1:] {
		if l.Type != model.Dropout {
			return false
		}
	}
	return true
}

func checkActivation(m *model.Model, s Step) error {
	l := &m.Layers[s.Layer]
	switch s.Activation {
	case model.Linear, model.ReLU:
		return nil
	case model.Sigmoid, model.Softmax:
		if l.Type == model.Dense && isHead(m, s) {
			return nil
		}
		return fmt.Errorf("layer %d (%s): activation %s is only supported on the last Dense layer (the head)", s.Layer, l.Name, s.Activation)
	}
	return fmt.Errorf("layer %d (%s): activation %q is not supported", s.Layer, l.Name, s.Activation)
}
