package infer

import (
	"fmt"

	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// convOp is an int8 Conv2D through kernel.Conv (im2col + GEMM).
type convOp struct {
	in, out []int8
	shape   kernel.ConvShape
	packed  []int8
	rq      kernel.Requant
	scratch [][]int8 // per worker, kernel.ConvScratchLen each
}

func (o *convOp) rows() int { return o.shape.OH }

func (o *convOp) preparedBytes() int     { return o.rq.PreparedBytes() }
func (o *convOp) scratchLen() int        { return kernel.ConvScratchLen(&o.shape) }
func (o *convOp) scratchSlots() [][]int8 { return o.scratch }
func (o *convOp) run(lo, hi, w int) {
	kernel.Conv(o.out, o.in, &o.shape, o.packed, &o.rq, o.scratch[w], lo, hi)
}

// pointwiseOp is an int8 1x1 stride-1 Conv2D: one GEMM straight on the
// NHWC input, whose pixels are already the rows of C values the GEMM takes
// (no im2col). Workers split the image rows.
type pointwiseOp struct {
	in, out  []int8
	w, c, oc int // pixels per row, input and output channels
	h        int
	packed   []int8
	rq       kernel.Requant
}

func (o *pointwiseOp) rows() int { return o.h }
func (o *pointwiseOp) run(lo, hi, _ int) {
	px := o.w * (hi - lo)
	kernel.GEMM(o.out[lo*o.w*o.oc:], o.oc, o.in[lo*o.w*o.c:], o.c, px, o.oc, o.c, o.packed, &o.rq)
}

// depthwiseOp is an int8 DepthwiseConv2D through kernel.DepthwiseConv.
type depthwiseOp struct {
	in, out []int8
	d       *kernel.DepthwiseConv
	rq      kernel.Requant
	scratch [][]int8 // per worker
}

func (o *depthwiseOp) rows() int              { return o.d.Shape().OH }
func (o *depthwiseOp) scratchLen() int        { return o.d.ScratchLen() }
func (o *depthwiseOp) scratchSlots() [][]int8 { return o.scratch }
func (o *depthwiseOp) run(lo, hi, w int)      { o.d.Run(o.out, o.in, o.scratch[w], lo, hi) }

// addOp is an int8 Add of two tensors (kernel.Add, TFLite's rescaling);
// workers split the elements in blocks of addBlock.
type addOp struct {
	a, b, out []int8
	p         kernel.AddParams
}

// addBlock is the number of elements in one work item of addOp.
const addBlock = 1024

func newAddOp(a, b, out []int8, qa, qb model.QuantParams, q *model.LayerQuant) (*addOp, error) {
	p, err := kernel.NewAddParams(float64(qa.Scale), qa.ZeroPoint, float64(qb.Scale), qb.ZeroPoint,
		float64(q.Output.Scale), q.Output.ZeroPoint, q.ActMin, q.ActMax)
	if err != nil {
		return nil, err
	}
	return &addOp{a: a, b: b, out: out, p: p}, nil
}

func (o *addOp) rows() int { return (len(o.out) + addBlock - 1) / addBlock }
func (o *addOp) run(lo, hi, _ int) {
	i, j := lo*addBlock, min(hi*addBlock, len(o.out))
	kernel.Add(o.out[i:j], o.a[i:j], o.b[i:j], &o.p)
}

// denseOp is an int8 Dense through kernel.GEMM; workers split the output
// units in whole blocks of packed channels.
type denseOp struct {
	in, out []int8
	k       int
	block   int // channels packed together; GEMM on a subset starts at a block
	packed  []int8
	rq      []kernel.Requant // per worker: the channels of its chunk
}

// channelBlock is the number of output channels kernel.Pack interleaves.
func channelBlock() int { return kernel.PackedLen(1, 1) / kernel.PaddedK(1) }

// units are the output channels of blocks [lo, hi).
func (o *denseOp) units(lo, hi int) (j0, j1 int) {
	return lo * o.block, min(hi*o.block, len(o.out))
}

func (o *denseOp) rows() int { return (len(o.out) + o.block - 1) / o.block }
func (o *denseOp) run(lo, hi, w int) {
	j0, j1 := o.units(lo, hi)
	kernel.GEMM(o.out[j0:j1], j1-j0, o.in, kernel.PaddedK(o.k), 1, j1-j0, o.k, o.packed[kernel.PackedLen(j0, o.k):], &o.rq[w])
}

// maxPoolOp is an int8 MaxPool2D: kernel.MaxPool for square windows that
// never leave the image and need no clamp, else the reference code.
type maxPoolOp struct {
	in, out        []int8
	shape          poolShape
	actMin, actMax int32
	kernel         bool
}

func newMaxPoolOp(in, out []int8, p poolShape, q *model.LayerQuant) *maxPoolOp {
	o := &maxPoolOp{in: in, out: out, shape: p, actMin: q.ActMin, actMax: q.ActMax}
	o.kernel = p.KH == p.KW && p.SH == p.SW && p.PadTop == 0 && p.PadLeft == 0 &&
		(p.H-p.KH)/p.SH+1 == p.OH && (p.W-p.KW)/p.SW+1 == p.OW && q.ActMin == -128 && q.ActMax == 127
	return o
}

func (o *maxPoolOp) rows() int { return o.shape.OH }
func (o *maxPoolOp) run(lo, hi, _ int) {
	p := &o.shape
	if o.kernel {
		kernel.MaxPool(o.out, o.in, p.H, p.W, p.C, p.KH, p.SH, lo, hi)
		return
	}
	maxPoolRef(o.out, o.in, p, o.actMin, o.actMax, lo, hi)
}

// avgPoolOp is an int8 AveragePooling2D or GlobalAveragePooling2D (the
// reference code).
type avgPoolOp struct {
	in, out []int8
	shape   poolShape
	q       avgQuant
}

func (o *avgPoolOp) rows() int         { return o.shape.OH }
func (o *avgPoolOp) run(lo, hi, _ int) { avgPoolRef(o.out, o.in, &o.shape, &o.q, lo, hi) }

// convGeometry is the kernel.ConvShape of Conv2D l on an input of shape in
// (padding value left zero).
func convGeometry(l *model.Layer, in, out []int) kernel.ConvShape {
	w := geom.WindowOf(l)
	_, top, _ := geom.Axis(in[0], w.KH, w.SH, w.Padding)
	_, left, _ := geom.Axis(in[1], w.KW, w.SW, w.Padding)
	return kernel.ConvShape{
		H: in[0], W: in[1], C: in[2], KH: w.KH, KW: w.KW, SH: w.SH, SW: w.SW,
		PadTop: top, PadLeft: left, OH: out[0], OW: out[1], OC: out[2],
	}
}

// poolGeometry is the poolShape of a pooling layer (global pooling: the
// whole image) on an input of shape in.
func poolGeometry(l *model.Layer, in []int) poolShape {
	if l.Type == model.GlobalAveragePooling2D {
		return poolShape{H: in[0], W: in[1], C: in[2], KH: in[0], KW: in[1], SH: 1, SW: 1, OH: 1, OW: 1}
	}
	w := geom.WindowOf(l)
	oh, top, _ := geom.Axis(in[0], w.KH, w.SH, w.Padding)
	ow, left, _ := geom.Axis(in[1], w.KW, w.SW, w.Padding)
	return poolShape{H: in[0], W: in[1], C: in[2], KH: w.KH, KW: w.KW, SH: w.SH, SW: w.SW, PadTop: top, PadLeft: left, OH: oh, OW: ow}
}

// newAvgQuant prepares the averaging of pool p from input quantisation in
// to the layer's output: the rounded mean when they agree, else a
// requantisation with one multiplier per window size that occurs.
func newAvgQuant(p *poolShape, in model.QuantParams, q *model.LayerQuant) (avgQuant, error) {
	a := avgQuant{ActMin: q.ActMin, ActMax: q.ActMax}
	if q.Output == in {
		return a, nil
	}
	a.Rescale, a.InZero, a.OutZero = true, in.ZeroPoint, q.Output.ZeroPoint
	for oy := range p.OH {
		for ox := range p.OW {
			y0, y1, x0, x1 := p.window(oy, ox)
			count := int32((y1 - y0) * (x1 - x0))
			if a.find(count) >= 0 {
				continue
			}
			mult, shift := kernel.QuantizeMultiplier(float64(in.Scale) / (float64(q.Output.Scale) * float64(count)))
			if err := checkMultiplier(mult, shift); err != nil {
				return a, fmt.Errorf("rescaling from scale %g to %g: %w", in.Scale, q.Output.Scale, err)
			}
			a.Muls = append(a.Muls, countMul{count, mult, shift})
		}
	}
	return a, nil
}

// newInt8Op builds the int8 operator of layer l with quantisation q,
// reading in (quantised as inQ) and writing out; workers is the pool size.
func newInt8Op(m *model.Model, l *model.Layer, q *model.LayerQuant, inShape []int, in, out []int8, inQ model.QuantParams, workers int) (op, error) {
	switch l.Type {
	case model.Conv2D:
		s := convGeometry(l, inShape, l.OutputShape)
		s.PadValue = int8(inQ.ZeroPoint)
		packed, rq, err := loadInt8Weights(m, q, s.OC, s.K())
		if err != nil {
			return nil, err
		}
		if s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 {
			return &pointwiseOp{in: in, out: out, h: s.H, w: s.W, c: s.C, oc: s.OC, packed: packed, rq: rq}, nil
		}
		rq.Prepare(packed, s.OC, s.K())
		return &convOp{in: in, out: out, shape: s, packed: packed, rq: rq, scratch: make([][]int8, workers)}, nil
	case model.DepthwiseConv2D:
		s := convGeometry(l, inShape, l.OutputShape)
		s.PadValue = int8(inQ.ZeroPoint)
		o := &depthwiseOp{in: in, out: out, scratch: make([][]int8, workers)}
		packed, err := depthwiseWeights(m, q, s.KH, s.KW, s.C)
		if err != nil {
			return nil, err
		}
		if o.rq, err = loadRequant(m, q, s.C); err != nil {
			return nil, err
		}
		if o.d, err = kernel.NewDepthwiseConv(s, packed, &o.rq); err != nil {
			return nil, err
		}
		return o, nil
	case model.Dense:
		k, n := len(in), l.Units
		packed, rq, err := loadInt8Weights(m, q, n, k)
		if err != nil {
			return nil, err
		}
		d := &denseOp{in: in, out: out, k: k, block: channelBlock(), packed: packed, rq: make([]kernel.Requant, workers)}
		for w := range d.rq {
			lo, hi := d.units(chunk(d.rows(), workers, w))
			d.rq[w] = rq
			d.rq[w].Bias, d.rq[w].Multiplier, d.rq[w].Shift = rq.Bias[lo:hi], rq.Multiplier[lo:hi], rq.Shift[lo:hi]
		}
		return d, nil
	case model.MaxPool2D:
		if q.Output != inQ {
			return nil, fmt.Errorf("MaxPool2D output quantisation %+v differs from its input's %+v", q.Output, inQ)
		}
		return newMaxPoolOp(in, out, poolGeometry(l, inShape), q), nil
	case model.AveragePooling2D, model.GlobalAveragePooling2D:
		p := poolGeometry(l, inShape)
		aq, err := newAvgQuant(&p, inQ, q)
		if err != nil {
			return nil, err
		}
		return &avgPoolOp{in: in, out: out, shape: p, q: aq}, nil
	}
	return nil, fmt.Errorf("layer type %s has no int8 operator", l.Type)
}
