package train

import (
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// pool2D is MaxPool2D or AveragePooling2D. Windows that overlap the
// 'same' padding only look at real pixels (average divides by their count),
// as TensorFlow does.
type pool2D struct {
	layerInfo
	window
	average   bool
	reluInput bool        // the input is a ReLU's output whose gradient this layer applies (see fuseReLUGradients)
	best      [][]float32 // per worker: running maximum per channel
	at        [][]int     // per worker: where it was found
	call      pass        // the forward or backward call in progress
}

func newPool2D(kind string, ph, pw, sh, sw int, padding string) *pool2D {
	return &pool2D{
		layerInfo: layerInfo{kind: kind},
		window:    window{kh: ph, kw: pw, sh: sh, sw: sw, padding: padding},
		average:   kind == model.AveragePooling2D,
	}
}

func (p *pool2D) build(in shape, _ *rand.Rand) error {
	oh, ow, err := p.outShape(in)
	if err != nil {
		return err
	}
	p.in, p.out = in, shape{H: oh, W: ow, C: in.C}
	return nil
}

func (p *pool2D) alloc(threads, maxBatch int) {
	p.best, p.at = make([][]float32, threads), make([][]int, threads)
	for w := range threads {
		p.best[w], p.at[w] = make([]float32, p.in.C), make([]int, p.in.C)
	}
}

// bounds returns the window of output pixel (oy, ox) clipped to the input.
func (p *pool2D) bounds(oy, ox int) (y0, y1, x0, x1 int) {
	y0 = oy*p.sh - p.padTop
	x0 = ox*p.sw - p.padLeft
	return max(y0, 0), min(y0+p.kh, p.in.H), max(x0, 0), min(x0+p.kw, p.in.W)
}

func (p *pool2D) forward(e *engine, in, out []float32, n int, training bool) {
	p.call = pass{in: in, out: out}
	e.run(n, p)
}

func (p *pool2D) part(w, b0, b1 int) {
	for s := b0; s < b1; s++ {
		switch {
		case p.call.backward && p.tiles2x2():
			p.backwardSample2x2(s)
		case p.call.backward:
			p.backwardSample(w, s)
		case p.tiles2x2():
			p.forwardSample2x2(s)
		default:
			p.forwardSample(s)
		}
	}
}

// tiles2x2 reports whether p is a 2x2, stride-2 max pool whose windows all
// lie inside the input (no padding): the common case, which runs on whole
// rows of pixels with vec's pooling loops.
func (p *pool2D) tiles2x2() bool {
	return !p.average && p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 &&
		p.padTop == 0 && p.padLeft == 0 && 2*p.out.H <= p.in.H && 2*p.out.W <= p.in.W
}

// rows2x2 returns sample s's input rows 2oy and 2oy+1 of buf and its
// output row oy of obuf.
func (p *pool2D) rows2x2(buf, obuf []float32, s, oy int) (r0, r1, o []float32) {
	row, orow := p.in.W*p.in.C, p.out.W*p.out.C
	base := s*p.in.size() + 2*oy*row
	obase := s*p.out.size() + oy*orow
	return buf[base : base+row], buf[base+row : base+2*row], obuf[obase : obase+orow]
}

func (p *pool2D) forwardSample2x2(s int) {
	for oy := 0; oy < p.out.H; oy++ {
		r0, r1, o := p.rows2x2(p.call.in, p.call.out, s, oy)
		vec.MaxPool2x2(o, r0, r1, p.in.C)
	}
}

// backwardSample2x2 writes every input gradient of sample s: the pooling
// loop those of the windows, zeros those of an odd last row or column.
func (p *pool2D) backwardSample2x2(s int) {
	is, c := p.in, p.in.C
	covered := 2 * p.out.W * c
	for oy := 0; oy < p.out.H; oy++ {
		x0, x1, y := p.rows2x2(p.call.in, p.call.out, s, oy)
		dx0, dx1, dy := p.rows2x2(p.call.din, p.call.dout, s, oy)
		if p.reluInput {
			vec.ReLUGrad(dy, y)
		}
		vec.MaxPool2x2Grad(dx0, dx1, x0, x1, y, dy, c)
		clear(dx0[covered:])
		clear(dx1[covered:])
	}
	dx := p.call.din[s*is.size() : (s+1)*is.size()]
	clear(dx[2*p.out.H*is.W*c:])
}

func (p *pool2D) forwardSample(s int) {
	is, os := p.in, p.out
	in, out := p.call.in, p.call.out
	src := in[s*is.size() : (s+1)*is.size()]
	dst := out[s*os.size() : (s+1)*os.size()]
	for oy := 0; oy < os.H; oy++ {
		for ox := 0; ox < os.W; ox++ {
			o := dst[(oy*os.W+ox)*os.C : (oy*os.W+ox+1)*os.C]
			y0, y1, x0, x1 := p.bounds(oy, ox)
			if p.average {
				clear(o)
			} else {
				for c := range o {
					o[c] = float32(math.Inf(-1))
				}
			}
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					px := src[(y*is.W+x)*is.C : (y*is.W+x+1)*is.C]
					if p.average {
						for c, v := range px {
							o[c] += v
						}
					} else {
						for c, v := range px {
							o[c] = max(o[c], v)
						}
					}
				}
			}
			if p.average {
				inv := 1 / float32((y1-y0)*(x1-x0))
				for c := range o {
					o[c] *= inv
				}
			}
		}
	}
}

// backward routes each output gradient to the first maximum of its window
// (max) or spreads it evenly (average).
func (p *pool2D) backward(e *engine, in, out, dout, din []float32, n int) {
	if din == nil {
		return
	}
	p.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	e.run(n, p)
}

func (p *pool2D) backwardSample(w, s int) {
	is, os := p.in, p.out
	in, dout, din := p.call.in, p.call.dout, p.call.din
	src := in[s*is.size() : (s+1)*is.size()]
	dx := din[s*is.size() : (s+1)*is.size()]
	dy := dout[s*os.size() : (s+1)*os.size()]
	clear(dx)
	for oy := 0; oy < os.H; oy++ {
		for ox := 0; ox < os.W; ox++ {
			g := dy[(oy*os.W+ox)*os.C : (oy*os.W+ox+1)*os.C]
			y0, y1, x0, x1 := p.bounds(oy, ox)
			if p.average {
				inv := 1 / float32((y1-y0)*(x1-x0))
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						d := dx[(y*is.W+x)*is.C : (y*is.W+x+1)*is.C]
						for c, v := range g {
							d[c] += v * inv
						}
					}
				}
				continue
			}
			best, at := p.best[w], p.at[w]
			for c := range best {
				best[c] = float32(math.Inf(-1))
			}
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					base := (y*is.W + x) * is.C
					for c, v := range src[base : base+is.C] {
						if v > best[c] {
							best[c], at[c] = v, base+c
						}
					}
				}
			}
			for c, v := range g {
				dx[at[c]] += v
			}
		}
	}
}

// globalAvgPool is GlobalAveragePooling2D: the mean of each channel.
type globalAvgPool struct {
	layerInfo
	call pass // the forward or backward call in progress
}

func (g *globalAvgPool) build(in shape, _ *rand.Rand) error {
	if in.flat {
		return errSpatial(in)
	}
	g.in, g.out = in, shape{H: 1, W: 1, C: in.C, flat: true}
	return nil
}

func (g *globalAvgPool) alloc(threads, maxBatch int) {}

func (g *globalAvgPool) forward(e *engine, in, out []float32, n int, training bool) {
	g.call = pass{in: in, out: out}
	e.run(n, g)
}

func (g *globalAvgPool) backward(e *engine, in, out, dout, din []float32, n int) {
	if din == nil {
		return
	}
	g.call = pass{dout: dout, din: din, backward: true}
	e.run(n, g)
}

func (g *globalAvgPool) part(w, b0, b1 int) {
	is, c := g.in, g.in.C
	inv := 1 / float32(is.H*is.W)
	for s := b0; s < b1; s++ {
		if g.call.backward {
			dy := g.call.dout[s*c : (s+1)*c]
			dx := g.call.din[s*is.size() : (s+1)*is.size()]
			for r := 0; r < len(dx); r += c {
				for i, v := range dy {
					dx[r+i] = v * inv
				}
			}
			continue
		}
		o := g.call.out[s*c : (s+1)*c]
		clear(o)
		sumRows(o, g.call.in[s*is.size():(s+1)*is.size()])
		for i := range o {
			o[i] *= inv
		}
	}
}
