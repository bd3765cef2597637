package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/stretchr/testify/require"
)

// quantCase is a random int8 layer: inputs, per-channel weights and the
// float values they stand for.
type quantCase struct {
	sIn   float64
	zpIn  int32
	x     []int8
	w     []int8 // [oc][k]
	ws    []float64
	biasQ []int32 // unfolded, scale sIn*ws[c]
	oc, k int
	sOut  float64
	zpOut int32
	relu  bool
	rq    kernel.Requant
}

func newQuantCase(rng *rand.Rand, nIn, oc, k int, relu bool) *quantCase {
	c := &quantCase{sIn: 0.01 + 0.04*rng.Float64(), zpIn: int32(rng.IntN(41)) - 20, oc: oc, k: k, relu: relu}
	c.x = make([]int8, nIn)
	for i := range c.x {
		c.x[i] = int8(rng.IntN(256) - 128)
	}
	c.w = make([]int8, oc*k)
	for i := range c.w {
		c.w[i] = int8(rng.IntN(255) - 127)
	}
	for range oc {
		c.ws = append(c.ws, (0.5+rng.Float64())/(127*math.Sqrt(float64(k))))
		c.biasQ = append(c.biasQ, int32(rng.IntN(2001))-1000)
	}
	// Outputs are about sIn*128 in size: cover +-4 times that.
	c.sOut = 8 * c.sIn * 128 / 255
	c.zpOut = int32(rng.IntN(21)) - 10
	c.rq = kernel.Requant{OutZero: c.zpOut, ActMin: -128, ActMax: 127}
	if relu {
		c.rq.ActMin = c.zpOut
	}
	for ch := range oc {
		var sum int32
		for _, v := range c.w[ch*k : (ch+1)*k] {
			sum += int32(v)
		}
		mult, shift := kernel.QuantizeMultiplier(c.sIn * c.ws[ch] / c.sOut)
		c.rq.Bias = append(c.rq.Bias, c.biasQ[ch]-c.zpIn*sum)
		c.rq.Multiplier = append(c.rq.Multiplier, mult)
		c.rq.Shift = append(c.rq.Shift, shift)
	}
	return c
}

// want is the quantised output of real value y for channel-independent
// clamping: round(y/sOut) + zpOut, clamped like the kernel.
func (c *quantCase) want(y float64) float64 {
	q := math.Round(y/c.sOut) + float64(c.zpOut)
	return min(max(q, float64(c.rq.ActMin)), float64(c.rq.ActMax))
}

// TestConvRefWithinOneStep: the int8 reference convolution equals the float
// convolution of the dequantised values (padding with real zeros) to within
// one output quantisation step.
func TestConvRefWithinOneStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, g := range []struct{ h, w, c, kh, kw, sh, sw, oc int }{
		{6, 5, 3, 3, 3, 1, 1, 7}, {4, 3, 5, 5, 5, 2, 2, 4}, {1, 1, 2, 3, 3, 1, 1, 3}, {9, 1, 4, 3, 1, 2, 1, 6}, {7, 8, 17, 1, 1, 1, 1, 5},
	} {
		oh, ow := (g.h+g.sh-1)/g.sh, (g.w+g.sw-1)/g.sw // 'same'
		s := kernel.ConvShape{H: g.h, W: g.w, C: g.c, KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, OH: oh, OW: ow, OC: g.oc}
		s.PadTop = max((oh-1)*g.sh+g.kh-g.h, 0) / 2
		s.PadLeft = max((ow-1)*g.sw+g.kw-g.w, 0) / 2
		for _, relu := range []bool{false, true} {
			c := newQuantCase(rng, g.h*g.w*g.c, g.oc, s.K(), relu)
			s.PadValue = int8(c.zpIn)
			out := make([]int8, oh*ow*g.oc)
			convRef(out, c.x, &s, c.w, s.K(), &c.rq, 0, oh)
			for oy := range oh {
				for ox := range ow {
					for oc := range g.oc {
						y := float64(c.biasQ[oc]) * c.sIn * c.ws[oc]
						for ky := range g.kh {
							for kx := range g.kw {
								iy, ix := oy*g.sh-s.PadTop+ky, ox*g.sw-s.PadLeft+kx
								if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
									continue
								}
								for ic := range g.c {
									xr := c.sIn * float64(int32(c.x[(iy*g.w+ix)*g.c+ic])-c.zpIn)
									wr := c.ws[oc] * float64(c.w[oc*s.K()+(ky*g.kw+kx)*g.c+ic])
									y += xr * wr
								}
							}
						}
						got := float64(out[(oy*ow+ox)*g.oc+oc])
						require.InDelta(t, c.want(y), got, 1, "%+v relu %v at %d,%d,%d", g, relu, oy, ox, oc)
					}
				}
			}
		}
	}
}

// TestDenseRefWithinOneStep: the same for Dense.
func TestDenseRefWithinOneStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, n := range [][2]int{{1, 1}, {37, 5}, {2048, 6}, {6, 1}} {
		k, units := n[0], n[1]
		c := newQuantCase(rng, k, units, k, units > 1)
		out := make([]int8, units)
		denseRef(out, c.x, k, c.w, k, &c.rq, 0, units)
		for j := range units {
			y := float64(c.biasQ[j]) * c.sIn * c.ws[j]
			for i, x := range c.x {
				y += c.sIn * float64(int32(x)-c.zpIn) * c.ws[j] * float64(c.w[j*k+i])
			}
			require.InDelta(t, c.want(y), float64(out[j]), 1, fmt.Sprintf("k %d unit %d", k, j))
		}
	}
}

// TestPoolRefs: max pooling takes the window's largest value and average
// pooling rounds the window's mean half away from zero (TFLite), or
// requantises it to within one step; padding is left out of both.
func TestPoolRefs(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	p := poolShape{H: 5, W: 4, C: 3, KH: 3, KW: 3, SH: 2, SW: 1, PadTop: 1, PadLeft: 1, OH: 3, OW: 4}
	in := make([]int8, p.H*p.W*p.C)
	for i := range in {
		in[i] = int8(rng.IntN(256) - 128)
	}
	maxOut, avgOut, reqOut := make([]int8, p.OH*p.OW*p.C), make([]int8, p.OH*p.OW*p.C), make([]int8, p.OH*p.OW*p.C)
	maxPoolRef(maxOut, in, &p, -128, 127, 0, p.OH)
	same := avgQuant{ActMin: -128, ActMax: 127}
	avgPoolRef(avgOut, in, &p, &same, 0, p.OH)
	inS, outS, inZ, outZ := 0.02, 0.013, int32(-5), int32(7)
	req := avgQuant{ActMin: -128, ActMax: 127, Rescale: true, InZero: inZ, OutZero: outZ}
	for count := int32(1); count <= 9; count++ {
		m, s := kernel.QuantizeMultiplier(inS / (outS * float64(count)))
		req.Muls = append(req.Muls, countMul{count, m, s})
	}
	avgPoolRef(reqOut, in, &p, &req, 0, p.OH)
	for oy := range p.OH {
		for ox := range p.OW {
			for c := range p.C {
				top, sum, n := -129.0, 0.0, 0.0
				for ky := range p.KH {
					for kx := range p.KW {
						y, x := oy*p.SH-p.PadTop+ky, ox*p.SW-p.PadLeft+kx
						if y < 0 || y >= p.H || x < 0 || x >= p.W {
							continue
						}
						v := float64(in[(y*p.W+x)*p.C+c])
						top, sum, n = max(top, v), sum+v, n+1
					}
				}
				i := (oy*p.OW+ox)*p.C + c
				require.Equal(t, top, float64(maxOut[i]))
				require.Equal(t, math.Round(sum/n), float64(avgOut[i]))
				want := min(max(math.Round(inS*(sum/n-float64(inZ))/outS)+float64(outZ), -128), 127)
				require.InDelta(t, want, float64(reqOut[i]), 1)
			}
		}
	}
}
