package train

import (
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
)

// pool2D is MaxPool2D or AveragePooling2D. Windows that overlap the
// 'same' padding only look at real pixels (average divides by their count),
// as TensorFlow does.
type pool2D struct {
	layerInfo
	window
	average bool
	best    [][]float32 // per worker: running maximum per channel
	at      [][]int     // per worker: where it was found
	call    pass        // the forward or backward call in progress
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
		if p.call.backward {
			p.backwardSample(w, s)
		} else {
			p.forwardSample(s)
		}
	}
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
