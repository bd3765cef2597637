package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
)

// dropout is Keras' Dropout: in training each unit is kept with
// probability 1-rate and scaled by 1/(1-rate); at inference it is the
// identity. The mask of sample i, unit j comes from a counter-based hash of
// (step seed, i, j), so it does not depend on how samples are split.
type dropout struct {
	layerInfo
	rate float64
	seed uint64    // set by the network before every training step
	mask []float32 // 0 or 1/(1-rate) per unit of the last training batch
	call pass      // the forward call in progress
}

func newDropout(rate float64) *dropout {
	return &dropout{layerInfo: layerInfo{kind: model.Dropout}, rate: rate}
}

func (d *dropout) build(in shape, _ *rand.Rand) error {
	if d.rate < 0 || d.rate >= 1 {
		return fmt.Errorf("rate must be in [0, 1), got %g", d.rate)
	}
	d.in, d.out = in, in
	return nil
}

func (d *dropout) alloc(threads, maxBatch int) {
	d.mask = make([]float32, maxBatch*d.in.size())
}

func (d *dropout) forward(e *engine, in, out []float32, n int, training bool) {
	size := d.in.size()
	if !training || d.rate == 0 {
		copy(out[:n*size], in)
		return
	}
	d.call = pass{in: in, out: out}
	e.run(n, d)
}

// part draws the masks of samples [b0, b1) and applies them.
func (d *dropout) part(w, b0, b1 int) {
	size := d.in.size()
	scale := float32(1 / (1 - d.rate))
	threshold := uint64(d.rate * (1 << 53))
	for i := b0 * size; i < b1*size; i++ {
		if splitmix64(d.seed+uint64(i))>>11 >= threshold {
			d.mask[i] = scale
		} else {
			d.mask[i] = 0
		}
		d.call.out[i] = d.call.in[i] * d.mask[i]
	}
}

func (d *dropout) backward(e *engine, in, out, dout, din []float32, n int) {
	if din == nil {
		return
	}
	size := d.in.size()
	if d.rate == 0 {
		copy(din[:n*size], dout)
		return
	}
	for i := range n * size {
		din[i] = dout[i] * d.mask[i]
	}
}

// splitmix64 is a counter-based generator: a good 64-bit hash of x.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
