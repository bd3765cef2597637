package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// reluLayer is Keras' ReLU layer: min(max(x, 0), maxValue), no upper bound
// when maxValue is 0 (ReLU6: maxValue 6).
type reluLayer struct {
	layerInfo
	maxValue float32
	call     pass // the forward or backward call in progress
}

func newReLULayer(maxValue float64) *reluLayer {
	return &reluLayer{layerInfo: layerInfo{kind: model.ReLULayer}, maxValue: float32(maxValue)}
}

func (r *reluLayer) build(in shape, _ *rand.Rand) error {
	if r.maxValue < 0 {
		return fmt.Errorf("max_value must not be negative, got %g", r.maxValue)
	}
	r.in, r.out = in, in
	return nil
}

func (r *reluLayer) alloc(threads, maxBatch int) {}

func (r *reluLayer) forward(e *engine, in, out []float32, n int, training bool) {
	r.call = pass{in: in, out: out}
	e.run(n, r)
}

func (r *reluLayer) backward(e *engine, in, out, dout, din []float32, n int) {
	if din == nil {
		return
	}
	r.call = pass{out: out, dout: dout, din: din, backward: true}
	e.run(n, r)
}

func (r *reluLayer) part(w, b0, b1 int) {
	lo, hi := b0*r.in.size(), b1*r.in.size()
	if r.call.backward {
		clampGradTo(r.call.din[lo:hi], r.call.dout[lo:hi], r.call.out[lo:hi], r.maxValue)
		return
	}
	top := r.maxValue
	if top <= 0 {
		top = float32(math.Inf(1))
	}
	vec.Clamp(r.call.out[lo:hi], r.call.in[lo:hi], top)
}
