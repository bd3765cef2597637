package infer

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// head turns the last tensor into probabilities in float32: dequantised
// (int8 models), then a sigmoid (one output: [1-p, p]) or a softmax.
type head struct {
	q8      []int8
	quant   model.QuantParams
	logits  []float32
	sigmoid bool
	probs   []float32
	labels  []string
}

// newHead checks the output against the labels and the head activation.
func (r *Runtime) newHead() error {
	m := r.m
	last := len(r.g.bufs) - 1
	h := &r.head
	h.labels = m.Labels
	h.probs = make([]float32, len(m.Labels))
	n := r.g.bufs[last].Size / r.g.elemSize
	if n != len(m.Labels) && !(n == 1 && len(m.Labels) == 2) {
		return fmt.Errorf("the network gives %d outputs for %d labels", n, len(m.Labels))
	}
	l := &m.Layers[r.g.nodes[len(r.g.nodes)-1].Layer]
	switch l.Activation {
	case model.Sigmoid:
		if n != 1 {
			return fmt.Errorf("a sigmoid head needs 1 output, not %d", n)
		}
	case model.Softmax, model.Linear, "":
	default:
		return fmt.Errorf("head activation %q is not supported (sigmoid, softmax or linear)", l.Activation)
	}
	h.sigmoid = n == 1
	if m.DType != model.Int8 {
		h.logits = r.arena.float32s(last)
		return nil
	}
	h.q8 = r.arena.int8s(last)
	h.quant = r.info[len(r.info)-1].Quant.Output
	h.logits = make([]float32, n)
	return nil
}

// RawOutput is the int8 output of the model's last layer from the latest
// Classify or Run call, before dequantisation and the head's activation: the
// values the kernels computed, identical on every architecture. It aliases
// the runtime's arena and is valid until the next call; nil for float models.
func (r *Runtime) RawOutput() []int8 { return r.head.q8 }

// dequantize refreshes logits from an int8 output.
func (h *head) dequantize() {
	for i, q := range h.q8 {
		h.logits[i] = h.quant.Scale * float32(int32(q)-h.quant.ZeroPoint)
	}
}

// activate writes the probabilities of logits to probs: [1-p, p] for a
// sigmoid head, else a softmax.
func activate(probs, logits []float32, sigmoidHead bool) {
	if sigmoidHead {
		p := sigmoid(logits[0])
		probs[0], probs[1] = 1-p, p
		return
	}
	top := logits[0]
	for _, x := range logits {
		top = max(top, x)
	}
	var sum float64
	for i, x := range logits {
		e := math.Exp(float64(x - top))
		probs[i] = float32(e)
		sum += e
	}
	for i := range probs {
		probs[i] = float32(float64(probs[i]) / sum)
	}
}

// result computes the probabilities of the last forward pass.
func (h *head) result() Result {
	if h.q8 != nil {
		h.dequantize()
	}
	activate(h.probs, h.logits, h.sigmoid)
	best := 0
	for i, p := range h.probs {
		if p > h.probs[best] {
			best = i
		}
	}
	return Result{Class: best, Label: h.labels[best], Probability: h.probs[best], Probabilities: h.probs}
}
