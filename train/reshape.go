package train

import (
	"fmt"
	"math/rand/v2"
)

// flatten is Keras' Flatten: NHWC order, so it moves no data.
type flatten struct{ layerInfo }

func (f *flatten) build(in shape, _ *rand.Rand) error {
	f.in, f.out = in, shape{H: 1, W: 1, C: in.size(), flat: true}
	return nil
}

func (f *flatten) alloc(threads, maxBatch int) {}

func (f *flatten) forward(e *engine, in, out []float32, n int, training bool) {
	copy(out[:n*f.out.C], in)
}

func (f *flatten) backward(e *engine, in, out, dout, din []float32, n int) {
	if din != nil {
		copy(din[:n*f.in.size()], dout)
	}
}

func errSpatial(in shape) error {
	return fmt.Errorf("needs a spatial (H, W, C) input, got a vector of %d", in.C)
}
