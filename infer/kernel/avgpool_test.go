package kernel

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAvgPoolKnownValues(t *testing.T) {
	// One 2x2 window per channel: sums 10, -10, 5, -1 over 4.
	in := []int8{
		1, -1, 1, -1, 2, -2, 1, 0,
		3, -3, 1, 0, 4, -4, 2, 0,
	} // h=2, w=2, c=4: pixel (y,x) channels at ((y*2+x)*4)
	out := make([]int8, 4)
	GlobalAvgPool(out, in, 2, 2, 4, -128, 127)
	require.Equal(t, []int8{3, -3, 1, 0}, out) // 2.5 -> 3, -2.5 -> -3, 1.25 -> 1, -0.25 -> 0
	GlobalAvgPool(out, in, 2, 2, 4, 0, 2)      // ReLU-like clamp
	require.Equal(t, []int8{2, 0, 1, 0}, out)
}

// avgFloat is the window mean in floating point, rounded half away from
// zero (math.Round) and clamped.
func avgFloat(in []int8, w, c, y0, x0, ph, pw, ch int, lo, hi int32) int32 {
	sum := 0.0
	for y := y0; y < y0+ph; y++ {
		for x := x0; x < x0+pw; x++ {
			sum += float64(in[(y*w+x)*c+ch])
		}
	}
	return min(max(int32(math.Round(sum/float64(ph*pw))), lo), hi)
}

func TestAvgPoolMatchesFloatMean(t *testing.T) {
	r := rand.New(rand.NewSource(32))
	for range 60 {
		h, w, c := 1+r.Intn(12), 1+r.Intn(12), 1+r.Intn(40)
		ph, pw := 1+r.Intn(h), 1+r.Intn(w)
		sh, sw := 1+r.Intn(3), 1+r.Intn(3)
		lo, hi := int32(-128), int32(127)
		if r.Intn(2) == 0 {
			lo, hi = int32(r.Intn(100)-128), int32(r.Intn(100))
		}
		in := randInt8s(r, h*w*c, -128, 127)
		oh, ow := (h-ph)/sh+1, (w-pw)/sw+1
		out := make([]int8, oh*ow*c)
		split := r.Intn(oh + 1)
		AvgPool(out, in, h, w, c, ph, pw, sh, sw, lo, hi, 0, split)
		AvgPool(out, in, h, w, c, ph, pw, sh, sw, lo, hi, split, oh)
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					want := avgFloat(in, w, c, oy*sh, ox*sw, ph, pw, ch, lo, hi)
					require.Equal(t, want, int32(out[(oy*ow+ox)*c+ch]), "h=%d w=%d c=%d pool %dx%d stride %d,%d", h, w, c, ph, pw, sh, sw)
				}
			}
		}
		g := make([]int8, c)
		GlobalAvgPool(g, in, h, w, c, lo, hi)
		for ch := range c {
			require.Equal(t, avgFloat(in, w, c, 0, 0, h, w, ch, lo, hi), int32(g[ch]))
		}
	}
}
