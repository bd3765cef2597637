package infer

import (
	"fmt"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// fconvOp is a float32 Conv2D: a direct loop with HWIO weights, the output
// channels innermost; padding contributes zeros.
type fconvOp struct {
	in, out []float32
	shape   kernel.ConvShape // geometry only
	w, bias []float32
	act     fclamp
}

func (o *fconvOp) rows() int { return o.shape.OH }
func (o *fconvOp) run(lo, hi, _ int) {
	s := &o.shape
	for oy := lo; oy < hi; oy++ {
		for ox := 0; ox < s.OW; ox++ {
			acc := o.out[(oy*s.OW+ox)*s.OC : (oy*s.OW+ox+1)*s.OC]
			copy(acc, o.bias)
			for ky := 0; ky < s.KH; ky++ {
				iy := oy*s.SH - s.PadTop + ky
				if iy < 0 || iy >= s.H {
					continue
				}
				for kx := 0; kx < s.KW; kx++ {
					ix := ox*s.SW - s.PadLeft + kx
					if ix < 0 || ix >= s.W {
						continue
					}
					px := o.in[(iy*s.W+ix)*s.C : (iy*s.W+ix+1)*s.C]
					wk := o.w[(ky*s.KW+kx)*s.C*s.OC:]
					for ic, x := range px {
						axpy(acc, x, wk[ic*s.OC:(ic+1)*s.OC])
					}
				}
			}
			o.act.apply(acc)
		}
	}
}

// fdenseOp is a float32 Dense with [in][out] weights; workers split units.
type fdenseOp struct {
	in, out []float32
	w, bias []float32
	act     fclamp
}

func (o *fdenseOp) rows() int { return len(o.out) }
func (o *fdenseOp) run(lo, hi, _ int) {
	n := len(o.out)
	acc := o.out[lo:hi]
	copy(acc, o.bias[lo:hi])
	for i, x := range o.in {
		axpy(acc, x, o.w[i*n+lo:i*n+hi])
	}
	o.act.apply(acc)
}

// axpy adds x*w to acc.
func axpy(acc []float32, x float32, w []float32) {
	w = w[:len(acc)]
	for j := range acc {
		acc[j] += x * w[j]
	}
}

// fclamp is a fused ReLU: when on, values are clamped to [0, hi] (hi is
// +Inf for ReLU, 6 for ReLU6).
type fclamp struct {
	on bool
	hi float32
}

func (c fclamp) apply(v []float32) {
	if !c.on {
		return
	}
	for j, x := range v {
		v[j] = min(max(x, 0), c.hi)
	}
}

// fdepthwiseOp is a float32 DepthwiseConv2D (depth multiplier 1): [KH][KW][C]
// weights, padding contributes zeros.
type fdepthwiseOp struct {
	in, out []float32
	shape   kernel.ConvShape // geometry only
	w, bias []float32
	act     fclamp
}

func (o *fdepthwiseOp) rows() int { return o.shape.OH }
func (o *fdepthwiseOp) run(lo, hi, _ int) {
	s := &o.shape
	for oy := lo; oy < hi; oy++ {
		for ox := 0; ox < s.OW; ox++ {
			acc := o.out[(oy*s.OW+ox)*s.C : (oy*s.OW+ox+1)*s.C]
			copy(acc, o.bias)
			for ky := 0; ky < s.KH; ky++ {
				iy := oy*s.SH - s.PadTop + ky
				if iy < 0 || iy >= s.H {
					continue
				}
				for kx := 0; kx < s.KW; kx++ {
					ix := ox*s.SW - s.PadLeft + kx
					if ix < 0 || ix >= s.W {
						continue
					}
					px := o.in[(iy*s.W+ix)*s.C : (iy*s.W+ix+1)*s.C]
					wk := o.w[(ky*s.KW+kx)*s.C : (ky*s.KW+kx+1)*s.C]
					for c, x := range px {
						acc[c] += x * wk[c]
					}
				}
			}
			o.act.apply(acc)
		}
	}
}

// fseparableOp is a float32 SeparableConv2D (Keras): a depthwise
// convolution without bias into mid, its own buffer, then a 1x1
// convolution with bias and the activation. Rows are output rows; each
// needs only its own row of mid.
type fseparableOp struct {
	dw fdepthwiseOp
	pw fconvOp
}

func (o *fseparableOp) rows() int { return o.dw.rows() }
func (o *fseparableOp) run(lo, hi, w int) {
	o.dw.run(lo, hi, w)
	o.pw.run(lo, hi, w)
}

func newSeparable(m *model.Model, l *model.Layer, inShape []int, in, out []float32, act fclamp) (op, error) {
	s := convGeometry(l, inShape, l.OutputShape)
	s.OC = s.C
	if len(l.Weights) < 2 || len(l.Weights) > 3 {
		return nil, fmt.Errorf("%d weight tensors, want depthwise_kernel, pointwise_kernel and an optional bias", len(l.Weights))
	}
	dw, err := floatTensor(m, l.Weights[0], s.KH, s.KW, s.C, 1)
	if err != nil {
		return nil, err
	}
	f := l.Filters
	pw, err := floatTensor(m, l.Weights[1], 1, 1, s.C, f)
	if err != nil {
		return nil, err
	}
	bias := make([]float32, f)
	if len(l.Weights) == 3 {
		if bias, err = floatTensor(m, l.Weights[2], f); err != nil {
			return nil, err
		}
	}
	mid := make([]float32, s.OH*s.OW*s.C)
	p := kernel.ConvShape{H: s.OH, W: s.OW, C: s.C, KH: 1, KW: 1, SH: 1, SW: 1, OH: s.OH, OW: s.OW, OC: f}
	return &fseparableOp{
		dw: fdepthwiseOp{in: in, out: mid, shape: s, w: dw, bias: make([]float32, s.C)},
		pw: fconvOp{in: mid, out: out, shape: p, w: pw, bias: bias, act: act},
	}, nil
}

// faddOp is a float32 Add of any number of tensors; rows are blocks of
// addBlock elements.
type faddOp struct {
	ins [][]float32
	out []float32
	act fclamp
}

func (o *faddOp) rows() int { return (len(o.out) + addBlock - 1) / addBlock }
func (o *faddOp) run(lo, hi, _ int) {
	i, j := lo*addBlock, min(hi*addBlock, len(o.out))
	out := o.out[i:j]
	copy(out, o.ins[0][i:j])
	for _, in := range o.ins[1:] {
		for k, v := range in[i:j] {
			out[k] += v
		}
	}
	o.act.apply(out)
}

// freluOp is Keras' ReLU layer: max(x, 0), capped at MaxValue when set;
// out may be in.
type freluOp struct {
	in, out []float32
	act     fclamp
}

func (o *freluOp) rows() int { return (len(o.out) + addBlock - 1) / addBlock }
func (o *freluOp) run(lo, hi, _ int) {
	i, j := lo*addBlock, min(hi*addBlock, len(o.out))
	copy(o.out[i:j], o.in[i:j])
	o.act.apply(o.out[i:j])
}

// fpoolOp is a float32 MaxPool2D, AveragePooling2D or
// GlobalAveragePooling2D; padding is ignored (Keras).
type fpoolOp struct {
	in, out []float32
	shape   poolShape
	average bool
}

func (o *fpoolOp) rows() int { return o.shape.OH }
func (o *fpoolOp) run(lo, hi, _ int) {
	p := &o.shape
	for oy := lo; oy < hi; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			res := o.out[(oy*p.OW+ox)*p.C : (oy*p.OW+ox+1)*p.C]
			for c := range res {
				v := float32(math.Inf(-1))
				if o.average {
					v = 0
				}
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						if in := o.in[(y*p.W+x)*p.C+c]; o.average {
							v += in
						} else {
							v = max(v, in)
						}
					}
				}
				if o.average {
					v /= float32((y1 - y0) * (x1 - x0))
				}
				res[c] = v
			}
		}
	}
}

// fbatchNormOp applies inference-mode BatchNormalization (out may be in):
// x*scale[c] + shift[c], with scale = gamma/sqrt(var+eps) and
// shift = beta - mean*scale. Rows are pixels.
type fbatchNormOp struct {
	in, out      []float32
	scale, shift []float32
}

func (o *fbatchNormOp) rows() int { return len(o.in) / len(o.scale) }
func (o *fbatchNormOp) run(lo, hi, _ int) {
	c := len(o.scale)
	for p := lo; p < hi; p++ {
		px, dst := o.in[p*c:(p+1)*c], o.out[p*c:(p+1)*c]
		for i, v := range px {
			dst[i] = v*o.scale[i] + o.shift[i]
		}
	}
}

// floatTensor reads the float32 or float16 tensor name, which must have
// the given shape.
func floatTensor(m *model.Model, name string, shape ...int) ([]float32, error) {
	t, err := m.Tensor(name)
	if err != nil {
		return nil, err
	}
	if t.DType != model.Float32 && t.DType != model.Float16 {
		return nil, fmt.Errorf("tensor %q is %s, want float32 or float16", name, t.DType)
	}
	if !slices.Equal(t.Shape, shape) {
		return nil, fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, shape)
	}
	return t.Float32s()
}

// kernelAndBias reads a Conv2D's or Dense's kernel (of the given shape) and
// its bias of n values (zeros when the layer has none).
func kernelAndBias(m *model.Model, l *model.Layer, n int, shape ...int) (w, bias []float32, err error) {
	if len(l.Weights) < 1 || len(l.Weights) > 2 {
		return nil, nil, fmt.Errorf("%d weight tensors, want a kernel and an optional bias", len(l.Weights))
	}
	if w, err = floatTensor(m, l.Weights[0], shape...); err != nil {
		return nil, nil, err
	}
	bias = make([]float32, n)
	if len(l.Weights) == 2 {
		bias, err = floatTensor(m, l.Weights[1], n)
	}
	return w, bias, err
}

// newFloatOp builds the float operator of layer l reading in (and, for
// Add, others); act is the fused activation applied here (the head's
// sigmoid or softmax is not).
func newFloatOp(m *model.Model, l *model.Layer, inShape []int, in []float32, others [][]float32, out []float32, act fclamp) (op, error) {
	switch l.Type {
	case model.Conv2D:
		s := convGeometry(l, inShape, l.OutputShape)
		w, bias, err := kernelAndBias(m, l, s.OC, s.KH, s.KW, s.C, s.OC)
		if err != nil {
			return nil, err
		}
		return &fconvOp{in: in, out: out, shape: s, w: w, bias: bias, act: act}, nil
	case model.DepthwiseConv2D:
		s := convGeometry(l, inShape, l.OutputShape)
		w, bias, err := kernelAndBias(m, l, s.C, s.KH, s.KW, s.C, 1)
		if err != nil {
			return nil, err
		}
		return &fdepthwiseOp{in: in, out: out, shape: s, w: w, bias: bias, act: act}, nil
	case model.SeparableConv2D:
		return newSeparable(m, l, inShape, in, out, act)
	case model.Dense:
		w, bias, err := kernelAndBias(m, l, l.Units, len(in), l.Units)
		if err != nil {
			return nil, err
		}
		return &fdenseOp{in: in, out: out, w: w, bias: bias, act: act}, nil
	case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D:
		return &fpoolOp{in: in, out: out, shape: poolGeometry(l, inShape), average: l.Type != model.MaxPool2D}, nil
	case model.BatchNormalization:
		return newBatchNorm(m, l, in, out)
	case model.Add:
		return &faddOp{ins: append([][]float32{in}, others...), out: out, act: act}, nil
	case model.ReLULayer:
		hi := float32(math.Inf(1))
		if l.MaxValue > 0 {
			hi = float32(l.MaxValue)
		}
		return &freluOp{in: in, out: out, act: fclamp{on: true, hi: hi}}, nil
	}
	return nil, fmt.Errorf("layer type %s has no float operator", l.Type)
}

func newBatchNorm(m *model.Model, l *model.Layer, in, out []float32) (op, error) {
	if len(l.Weights) != 4 {
		return nil, fmt.Errorf("%d weight tensors, want gamma, beta, moving_mean, moving_variance", len(l.Weights))
	}
	c := l.OutputShape[len(l.OutputShape)-1]
	var p [4][]float32
	for i, name := range l.Weights {
		var err error
		if p[i], err = floatTensor(m, name, c); err != nil {
			return nil, err
		}
	}
	o := &fbatchNormOp{in: in, out: out, scale: make([]float32, c), shift: make([]float32, c)}
	for i := range c {
		o.scale[i] = p[0][i] / float32(math.Sqrt(float64(p[3][i])+l.Epsilon))
		o.shift[i] = p[1][i] - p[2][i]*o.scale[i]
	}
	return o, nil
}
