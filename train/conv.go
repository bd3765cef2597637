package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/sgemm"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// colBudget bounds the im2col buffer of one worker (in floats): small
// layers gather several samples into one larger, faster multiplication.
const colBudget = 1 << 18

// conv2D is Keras' Conv2D: kernel [KH, KW, IC, OC] (HWIO), bias [OC] (none
// with use_bias=False), fused activation. It runs as im2col + GEMM: each output pixel's KH*KW*IC patch
// (HWC order, matching the kernel's row order) times the kernel matrix.
type conv2D struct {
	layerInfo
	filters int
	window
	act          activation
	noBias       bool
	kernel, bias *param // bias is nil with noBias

	group      int         // samples per im2col gather
	col        [][]float32 // per worker: group*M x K patches (reused for their gradients)
	ws         []sgemm.Workspace
	packedT    sgemm.PackedB // the kernel's transpose, for the input gradient
	identity   bool          // 1x1, stride 1: the input is its own im2col
	reluInPool bool          // the max pool after this layer applies ReLU's gradient
	call       pass          // the forward or backward call in progress
}

func (c *conv2D) k() int { return c.kh * c.kw * c.in.C }

func (c *conv2D) build(in shape, rng *rand.Rand) error {
	if c.filters <= 0 {
		return fmt.Errorf("filters must be positive, got %d", c.filters)
	}
	oh, ow, err := c.outShape(in)
	if err != nil {
		return err
	}
	if err := checkLayerSize([]int{c.kh, c.kw, in.C, c.filters}, []int{oh, ow, c.filters}); err != nil {
		return err
	}
	c.in, c.out = in, shape{H: oh, W: ow, C: c.filters}
	c.kernel = newParam("kernel", true, c.kh, c.kw, in.C, c.filters)
	c.params = []*param{c.kernel}
	c.bias = nil
	if !c.noBias {
		c.bias = newParam("bias", true, c.filters)
		c.params = append(c.params, c.bias)
	}
	glorotUniform(c.kernel, c.kh*c.kw*in.C, c.kh*c.kw*c.filters, rng)
	c.identity = c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1
	return nil
}

func (c *conv2D) alloc(threads, maxBatch int) {
	m := c.out.H * c.out.W
	c.group = max(1, min(maxBatch, colBudget/(m*c.k())))
	c.col = make([][]float32, threads)
	for w := range c.col {
		c.col[w] = make([]float32, c.group*m*c.k())
	}
	c.ws = make([]sgemm.Workspace, threads)
	for _, p := range c.params {
		p.allocPartials(threads)
	}
}

// gather returns the patches of samples [s, s+g) as a g*M x K matrix.
func (c *conv2D) gather(w int, in []float32, s, g int) []float32 {
	inSize := c.in.size()
	if c.identity {
		return in[s*inSize : (s+g)*inSize]
	}
	mk := c.out.H * c.out.W * c.k()
	col := c.col[w][:g*mk]
	for i := 0; i < g; i++ {
		im2col(col[i*mk:(i+1)*mk], in[(s+i)*inSize:(s+i+1)*inSize], c.in, c.out, &c.window)
	}
	return col
}

func (c *conv2D) forward(e *engine, in, out []float32, n int, training bool) {
	c.call = pass{in: in, out: out}
	e.run(n, c)
}

func (c *conv2D) backward(e *engine, in, out, dout, din []float32, n int) {
	if din != nil {
		c.packedT.Pack(true, c.filters, c.k(), c.kernel.value, c.filters)
	}
	c.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	e.run(n, c)
	for _, p := range c.params {
		p.reducePartials()
	}
}

func (c *conv2D) part(w, b0, b1 int) {
	if c.call.backward {
		c.backwardPart(w, b0, b1)
	} else {
		c.forwardPart(w, b0, b1)
	}
}

func (c *conv2D) forwardPart(w, b0, b1 int) {
	k, oc, m := c.k(), c.filters, c.out.H*c.out.W
	in, out := c.call.in, c.call.out
	for s := b0; s < b1; s += c.group {
		g := min(c.group, b1-s)
		col := c.gather(w, in, s, g)
		o := out[s*m*oc : (s+g)*m*oc]
		sgemm.Gemm(false, false, g*m, oc, k, col, k, c.kernel.value, oc, o, oc, false, c.act.epilogue(biasValue(c.bias)), &c.ws[w])
		c.act.applyUnfused(o, oc)
	}
}

func (c *conv2D) backwardPart(w, b0, b1 int) {
	k, oc, m := c.k(), c.filters, c.out.H*c.out.W
	in, out, dout, din := c.call.in, c.call.out, c.call.dout, c.call.din
	for s := b0; s < b1; s += c.group {
		g := min(c.group, b1-s)
		dz := dout[s*m*oc : (s+g)*m*oc]
		if !c.reluInPool {
			c.act.backward(dz, out[s*m*oc:(s+g)*m*oc], oc)
		}
		if c.bias != nil {
			sumRows(c.bias.partial[w], dz)
		}
		col := c.gather(w, in, s, g)
		// dKernel += patches^T * dz
		sgemm.Gemm(true, false, k, oc, g*m, col, k, dz, oc, c.kernel.partial[w], oc, true, sgemm.Epilogue{}, &c.ws[w])
		if din == nil {
			continue
		}
		inSize := c.in.size()
		if c.identity {
			sgemm.GemmPacked(false, g*m, dz, oc, &c.packedT, din[s*inSize:(s+g)*inSize], k, false, sgemm.Epilogue{}, &c.ws[w])
			continue
		}
		// dPatches = dz * kernel^T, scattered back onto the input.
		dcol := c.col[w][:g*m*k]
		sgemm.GemmPacked(false, g*m, dz, oc, &c.packedT, dcol, k, false, sgemm.Epilogue{}, &c.ws[w])
		for i := 0; i < g; i++ {
			col2im(din[(s+i)*inSize:(s+i+1)*inSize], dcol[i*m*k:(i+1)*m*k], c.in, c.out, &c.window)
		}
	}
}

// biasValue is b's values, or nil for a layer without bias.
func biasValue(b *param) []float32 {
	if b == nil {
		return nil
	}
	return b.value
}

// sumRows adds the rows of x (each len(acc) long) to acc.
func sumRows(acc, x []float32) {
	n := len(acc)
	for r := 0; r+n <= len(x); r += n {
		vec.Add(acc, x[r:r+n])
	}
}

// im2col writes, for every output pixel of one sample, its input patch in
// (ky, kx, c) order; positions in the padding are zero.
func im2col(col, in []float32, is, os shape, wd *window) {
	k := wd.kh * wd.kw * is.C
	rowLen := wd.kw * is.C
	for oy := 0; oy < os.H; oy++ {
		for ox := 0; ox < os.W; ox++ {
			dst := col[(oy*os.W+ox)*k : (oy*os.W+ox+1)*k]
			x0 := ox*wd.sw - wd.padLeft
			kx0, kx1 := max(0, -x0), min(wd.kw, is.W-x0)
			for ky := 0; ky < wd.kh; ky++ {
				d := dst[ky*rowLen : (ky+1)*rowLen]
				iy := oy*wd.sh - wd.padTop + ky
				if iy < 0 || iy >= is.H || kx0 >= kx1 {
					clear(d)
					continue
				}
				src := in[(iy*is.W+x0+kx0)*is.C : (iy*is.W+x0+kx1)*is.C]
				if kx0 == 0 && kx1 == wd.kw {
					copy(d, src)
					continue
				}
				clear(d[:kx0*is.C])
				copy(d[kx0*is.C:], src)
				clear(d[kx1*is.C:])
			}
		}
	}
}

// col2im is im2col's adjoint: it sums patch gradients back onto the input
// positions they were gathered from (overwriting din).
func col2im(din, col []float32, is, os shape, wd *window) {
	clear(din)
	k := wd.kh * wd.kw * is.C
	rowLen := wd.kw * is.C
	for oy := 0; oy < os.H; oy++ {
		for ox := 0; ox < os.W; ox++ {
			src := col[(oy*os.W+ox)*k : (oy*os.W+ox+1)*k]
			x0 := ox*wd.sw - wd.padLeft
			kx0, kx1 := max(0, -x0), min(wd.kw, is.W-x0)
			if kx0 >= kx1 {
				continue
			}
			for ky := 0; ky < wd.kh; ky++ {
				iy := oy*wd.sh - wd.padTop + ky
				if iy < 0 || iy >= is.H {
					continue
				}
				vec.Add(din[(iy*is.W+x0+kx0)*is.C:(iy*is.W+x0+kx1)*is.C], src[ky*rowLen+kx0*is.C:ky*rowLen+kx1*is.C])
			}
		}
	}
}

func newConv2D(filters, kh, kw, sh, sw int, padding string, act activation) *conv2D {
	return &conv2D{
		layerInfo: layerInfo{kind: model.Conv2D},
		filters:   filters,
		window:    window{kh: kh, kw: kw, sh: sh, sw: sw, padding: padding},
		act:       act,
	}
}
