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
	// ReLU is the float ReLU layer fused into it as a clamp, or -1.
	ReLU int
	// Output is the float layer whose output it reproduces: the last of
	// Layer, BatchNorm and ReLU it has.
	Output int
	// Activation is the fused activation.
	Activation string
	// Dropped lists the Dropout layers removed after it.
	Dropped []int
	// Inputs are the steps whose outputs it takes (InputStep for the model
	// input), in the float layer's order of inputs.
	Inputs []int
}

// InputStep stands for the model input in Step.Inputs.
const InputStep = -1

// Plan maps the float model's layers onto the layers of its quantised graph:
// BatchNormalization folded into the convolution (Conv2D, DepthwiseConv2D)
// or Dense before it, a ReLU layer (ReLU or ReLU6) fused into the layer
// before it as a clamp, Dropout removed. A folded or fused layer must be
// the only reader of the layer it folds into. It refuses layers and
// activations the int8 runtime cannot run.
func Plan(m *model.Model) ([]Step, error) {
	graph, err := m.Graph()
	if err != nil {
		return nil, err
	}
	uses := make([]int, len(m.Layers))
	for _, in := range graph {
		for _, j := range in {
			if j != model.ModelInput {
				uses[j]++
			}
		}
	}
	var steps []Step
	stepOf := make([]int, len(m.Layers)) // the step producing each float layer's value
	for i := range m.Layers {
		l := &m.Layers[i]
		where := func(f string, a ...any) error {
			return fmt.Errorf("layer %d (%s, %s): %s", i, l.Name, l.Type, fmt.Sprintf(f, a...))
		}
		src := graph[i][0]
		srcStep := InputStep
		if src != model.ModelInput {
			srcStep = stepOf[src]
		}
		// fuse is the step l folds into: the one whose output is exactly
		// l's only input, read by l alone.
		fuse := func() *Step {
			if srcStep == InputStep || steps[srcStep].Output != src || uses[src] != 1 {
				return nil
			}
			return &steps[srcStep]
		}
		switch l.Type {
		case model.Dropout:
			stepOf[i] = srcStep
			if srcStep != InputStep {
				steps[srcStep].Dropped = append(steps[srcStep].Dropped, i)
			}
			continue
		case model.BatchNormalization:
			s := fuse()
			if s == nil || s.BatchNorm >= 0 || s.ReLU >= 0 || s.Activation != model.Linear || !foldsBatchNorm(m.Layers[s.Layer].Type) {
				if s != nil && s.Activation != model.Linear {
					return nil, fmt.Errorf("layer %d (%s): BatchNormalization after a %s with activation %s cannot be folded (put the activation after the BatchNormalization)",
						i, l.Name, m.Layers[s.Layer].Type, s.Activation)
				}
				return nil, where("BatchNormalization can only be folded into a Conv2D, DepthwiseConv2D or Dense without activation directly before it, whose only reader it is")
			}
			s.BatchNorm, s.Output, stepOf[i] = i, i, srcStep
			continue
		case model.ReLULayer:
			s := fuse()
			act := model.ReLU
			if l.MaxValue != 0 {
				act = model.ReLU6
			}
			if l.MaxValue != 0 && l.MaxValue != 6 {
				return nil, where("ReLU with max_value %v: the int8 runtime fuses ReLU and ReLU6 only", l.MaxValue)
			}
			if s == nil || s.ReLU >= 0 || s.Activation != model.Linear || !fusesReLU(m.Layers[s.Layer].Type) {
				return nil, where("a ReLU layer must follow a convolution, Dense or Add without activation whose only reader it is (it is fused as a clamp)")
			}
			s.ReLU, s.Output, s.Activation, stepOf[i] = i, i, act, srcStep
			continue
		case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D, model.Flatten, model.Add,
			model.Conv2D, model.DepthwiseConv2D, model.Dense:
		default:
			return nil, where("layer type %q is not supported by the int8 runtime", l.Type)
		}
		s := Step{Layer: i, BatchNorm: -1, ReLU: -1, Output: i, Activation: activation(l.Activation)}
		for _, j := range graph[i] {
			in := InputStep
			if j != model.ModelInput {
				in = stepOf[j]
			}
			s.Inputs = append(s.Inputs, in)
		}
		switch l.Type {
		case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D, model.Flatten:
			s.Activation = model.Linear
		}
		stepOf[i] = len(steps)
		steps = append(steps, s)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("model %q has no layers to quantise", m.Name)
	}
	for _, s := range steps {
		if err := checkActivation(m, s); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// foldsBatchNorm tells the layer types a following BatchNormalization
// folds into.
func foldsBatchNorm(typ string) bool {
	return typ == model.Conv2D || typ == model.DepthwiseConv2D || typ == model.Dense
}

// fusesReLU tells the layer types a following ReLU layer fuses into.
func fusesReLU(typ string) bool { return foldsBatchNorm(typ) || typ == model.Add }

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
	case model.Linear, model.ReLU, model.ReLU6:
		return nil
	case model.Sigmoid, model.Softmax:
		if l.Type == model.Dense && isHead(m, s) {
			return nil
		}
		return fmt.Errorf("layer %d (%s): activation %s is only supported on the last Dense layer (the head)", s.Layer, l.Name, s.Activation)
	}
	return fmt.Errorf("layer %d (%s): activation %q is not supported", s.Layer, l.Name, s.Activation)
}
