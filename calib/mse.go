package calib

import "math"

// levels is the number of int8 steps across a range: scale = (hi-lo)/levels.
const levels = 255

// mseRange returns the range [lo, hi] minimising the expected squared
// quantisation error of the histogram's non-zero values, searched over all
// bin edges on each side of zero: values inside the range suffer uniform
// rounding noise of scale²/12 (scale = (hi-lo)/255), values outside are
// clipped and cost (x - hi)² or (lo - x)², each value taken at its bin's
// centre. Zeros are exact and cost nothing.
func (h *Histogram) mseRange() (lo, hi float64) {
	w := h.width()
	pos, neg := newTail(h.positive(), w), newTail(h.negative(), w)
	total := pos.count[0] + neg.count[0]
	// Edges beyond the last non-empty bin change nothing but the noise.
	maxHi, maxLo := pos.lastEdge(), neg.lastEdge()
	bestErr := math.Inf(1)
	for kl := 0; kl <= maxLo; kl++ {
		a := float64(kl) * w // lo = -a
		for kh := 0; kh <= maxHi; kh++ {
			if kl == 0 && kh == 0 {
				continue
			}
			b := float64(kh) * w
			s := (a + b) / levels
			inside := total - pos.count[kh] - neg.count[kl]
			e := pos.clipErr(kh, b) + neg.clipErr(kl, a) + inside*s*s/12
			if e < bestErr {
				bestErr, lo, hi = e, -a, b
			}
		}
	}
	return math.Max(lo, math.Min(h.Min, 0)), math.Min(hi, math.Max(h.Max, 0))
}

// tail holds suffix sums of one side's histogram by |x|, with values at bin
// centres: count[k], sum[k] and sumSq[k] over bins k and beyond.
type tail struct{ count, sum, sumSq []float64 }

func newTail(hist []float64, w float64) tail {
	n := len(hist)
	t := tail{make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)}
	for k := n - 1; k >= 0; k-- {
		c := (float64(k) + 0.5) * w
		t.count[k] = t.count[k+1] + hist[k]
		t.sum[k] = t.sum[k+1] + hist[k]*c
		t.sumSq[k] = t.sumSq[k+1] + hist[k]*c*c
	}
	return t
}

// lastEdge is the number of bins up to and including the last non-empty one.
func (t tail) lastEdge() int {
	k := len(t.count) - 1
	for k > 0 && t.count[k-1] == 0 {
		k--
	}
	return k
}

// clipErr is the squared error of clipping every value in bins k and beyond
// to the edge e = k*w: sum n*(c-e)².
func (t tail) clipErr(k int, e float64) float64 {
	return t.sumSq[k] - 2*e*t.sum[k] + e*e*t.count[k]
}
