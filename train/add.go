package train

import (
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// addLayer is Keras' Add: the elementwise sum of its inputs, all of one
// shape. The graph gives it its first input as in and the others in rest
// before the forward pass, and passes its output gradient on to the other
// inputs after the backward pass, which copies it to the first.
type addLayer struct {
	layerInfo
	rest [][]float32 // the other inputs of the forward call
	call pass        // the forward call in progress
}

func newAdd() *addLayer { return &addLayer{layerInfo: layerInfo{kind: model.Add}} }

func (a *addLayer) build(in shape, _ *rand.Rand) error {
	a.in, a.out = in, in
	return nil
}

func (a *addLayer) alloc(threads, maxBatch int) {}

func (a *addLayer) forward(e *engine, in, out []float32, n int, training bool) {
	a.call = pass{in: in, out: out}
	e.run(n, a)
}

func (a *addLayer) backward(e *engine, in, out, dout, din []float32, n int) {
	if din != nil {
		copy(din[:len(dout)], dout)
	}
}

func (a *addLayer) part(w, b0, b1 int) {
	lo, hi := b0*a.in.size(), b1*a.in.size()
	out := a.call.out[lo:hi]
	copy(out, a.call.in[lo:hi])
	for _, r := range a.rest {
		vec.Add(out, r[lo:hi])
	}
}
