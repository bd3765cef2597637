package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// depthwise is Keras' DepthwiseConv2D with depth multiplier 1: each input
// channel convolved with its own KH x KW filter. Kernel [KH, KW, C, 1]
// (depthwise_kernel), bias [C] (none with use_bias=False), fused
// activation. Every output pixel is a sum of KH*KW channel vectors, each
// the input pixel under the tap times the tap's per-channel weights.
type depthwise struct {
	layerInfo
	window
	act          activation
	noBias       bool
	kernel, bias *param // bias is nil with noBias
	call         pass   // the forward or backward call in progress
}

func newDepthwise(kh, kw, sh, sw int, padding string, act activation, noBias bool) *depthwise {
	return &depthwise{
		layerInfo: layerInfo{kind: model.DepthwiseConv2D},
		window:    window{kh: kh, kw: kw, sh: sh, sw: sw, padding: padding},
		act:       act,
		noBias:    noBias,
	}
}

func (d *depthwise) build(in shape, rng *rand.Rand) error {
	oh, ow, err := d.outShape(in)
	if err != nil {
		return err
	}
	if err := checkLayerSize([]int{d.kh, d.kw, in.C, 1}, []int{oh, ow, in.C}); err != nil {
		return err
	}
	d.in, d.out = in, shape{H: oh, W: ow, C: in.C}
	d.kernel = newParam("depthwise_kernel", true, d.kh, d.kw, in.C, 1)
	d.params = []*param{d.kernel}
	d.bias = nil
	if !d.noBias {
		d.bias = newParam("bias", true, in.C)
		d.params = append(d.params, d.bias)
	}
	// Keras' fans for a [KH, KW, C, 1] kernel: KH*KW*C in, KH*KW out.
	glorotUniform(d.kernel, d.kh*d.kw*in.C, d.kh*d.kw, rng)
	return nil
}

func (d *depthwise) alloc(threads, maxBatch int) {
	for _, p := range d.params {
		p.allocPartials(threads)
	}
}

func (d *depthwise) forward(e *engine, in, out []float32, n int, training bool) {
	d.call = pass{in: in, out: out}
	e.run(n, d)
}

func (d *depthwise) backward(e *engine, in, out, dout, din []float32, n int) {
	d.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	e.run(n, d)
	for _, p := range d.params {
		p.reducePartials()
	}
}

func (d *depthwise) part(w, b0, b1 int) {
	is, os := d.in.size(), d.out.size()
	for s := b0; s < b1; s++ {
		in := d.call.in[s*is : (s+1)*is]
		out := d.call.out[s*os : (s+1)*os]
		if !d.call.backward {
			d.forwardSample(in, out)
			continue
		}
		dz := d.call.dout[s*os : (s+1)*os]
		d.act.backward(dz, out, d.out.C)
		if d.bias != nil {
			sumRows(d.bias.partial[w], dz)
		}
		var din []float32
		if d.call.din != nil {
			din = d.call.din[s*is : (s+1)*is]
			clear(din)
		}
		d.backwardSample(in, dz, din, d.kernel.partial[w])
	}
}

// span returns the output columns [ox0, ox1) whose tap kx reads a real
// input column (not padding), and that input column for ox0.
func (d *depthwise) span(kx int) (ox0, ox1, ix0 int) {
	// ix = ox*sw - padLeft + kx must lie in [0, W).
	lo, hi := d.padLeft-kx, d.in.W-1+d.padLeft-kx
	if hi < 0 {
		return 0, 0, 0
	}
	if lo > 0 {
		ox0 = (lo + d.sw - 1) / d.sw
	}
	ox1 = min(d.out.W, hi/d.sw+1)
	return ox0, ox1, ox0*d.sw - d.padLeft + kx
}

// rows calls f for every output row oy and kernel tap (ky, kx) over real
// input pixels, with the offsets (in floats) of the first output pixel, of
// its input pixel and of the tap's weights, and the number of pixels.
func (d *depthwise) rows(f func(o, i, k, pixels int)) {
	c := d.in.C
	for oy := 0; oy < d.out.H; oy++ {
		for ky := 0; ky < d.kh; ky++ {
			iy := oy*d.sh - d.padTop + ky
			if iy < 0 || iy >= d.in.H {
				continue
			}
			for kx := 0; kx < d.kw; kx++ {
				ox0, ox1, ix0 := d.span(kx)
				if ox0 < ox1 {
					f((oy*d.out.W+ox0)*c, (iy*d.in.W+ix0)*c, (ky*d.kw+kx)*c, ox1-ox0)
				}
			}
		}
	}
}

func (d *depthwise) forwardSample(in, out []float32) {
	c, k, step := d.in.C, d.kernel.value, d.sw*d.in.C
	clear(out)
	d.rows(func(o, i, t, pixels int) { vec.MulAdd(out[o:], c, in[i:], step, k[t:], 0, c, pixels) })
	if d.bias != nil {
		for r := 0; r < len(out); r += c {
			vec.Add(out[r:r+c], d.bias.value)
		}
	}
	d.act.apply(out, c)
}

// backwardSample adds the kernel gradient of one sample to dk and, when
// din is not nil, adds the input gradient to din.
func (d *depthwise) backwardSample(in, dz, din, dk []float32) {
	c, k, step := d.in.C, d.kernel.value, d.sw*d.in.C
	d.rows(func(o, i, t, pixels int) {
		vec.MulAdd(dk[t:], 0, in[i:], step, dz[o:], c, c, pixels)
		if din != nil {
			vec.MulAdd(din[i:], step, dz[o:], c, k[t:], 0, c, pixels)
		}
	})
}

// separable is Keras' SeparableConv2D: a depthwise convolution (kernel
// depthwise_kernel [KH, KW, C, 1], no bias, no activation) then a 1x1
// convolution (pointwise_kernel [1, 1, C, filters]) with the layer's one
// bias and activation. It keeps the depthwise output of the batch for the
// backward pass.
type separable struct {
	layerInfo
	dw        *depthwise
	pw        *conv2D
	mid, dmid []float32 // depthwise output and its gradient, maxBatch samples
}

func newSeparable(filters, kh, kw, sh, sw int, padding string, act activation, noBias bool) *separable {
	pw := newConv2D(filters, 1, 1, 1, 1, model.Valid, act)
	pw.noBias = noBias
	return &separable{
		layerInfo: layerInfo{kind: model.SeparableConv2D},
		dw:        newDepthwise(kh, kw, sh, sw, padding, model.Linear, true),
		pw:        pw,
	}
}

func (s *separable) build(in shape, rng *rand.Rand) error {
	if err := s.dw.build(in, rng); err != nil {
		return err
	}
	if err := s.pw.build(s.dw.out, rng); err != nil {
		return err
	}
	s.pw.kernel.name = "pointwise_kernel"
	s.in, s.out = in, s.pw.out
	s.params = append(append([]*param(nil), s.dw.params...), s.pw.params...)
	return nil
}

func (s *separable) alloc(threads, maxBatch int) {
	s.dw.alloc(threads, maxBatch)
	s.pw.alloc(threads, maxBatch)
	s.mid = make([]float32, maxBatch*s.dw.out.size())
	s.dmid = make([]float32, maxBatch*s.dw.out.size())
}

func (s *separable) forward(e *engine, in, out []float32, n int, training bool) {
	mid := s.mid[:n*s.dw.out.size()]
	s.dw.forward(e, in, mid, n, training)
	s.pw.forward(e, mid, out, n, training)
}

func (s *separable) backward(e *engine, in, out, dout, din []float32, n int) {
	mid, dmid := s.mid[:n*s.dw.out.size()], s.dmid[:n*s.dw.out.size()]
	s.pw.backward(e, mid, out, dout, dmid, n)
	s.dw.backward(e, in, mid, dmid, din, n)
}

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
