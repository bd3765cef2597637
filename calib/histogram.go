package calib

import (
	"fmt"
	"math"
)

// Bins is the number of histogram bins on each side of zero (TensorRT and
// ncnn use 2048 for |x|).
const Bins = 2048

// Histogram is the distribution of one tensor's values: 2*Bins bins of width
// Limit/Bins over [-Limit, Limit]. Bin Bins+i holds positive values in
// [i*w, (i+1)*w) and bin Bins-1-i negative values in (-(i+1)*w, -i*w]; the
// top bins also hold the edges. Exact zeros are counted in Zeros.
type Histogram struct {
	Min, Max float64 // observed extremes (from the first pass)
	Limit    float64 // max(|Min|, |Max|)
	Counts   []float64
	Zeros    float64
}

// NewHistogram makes an empty histogram for values in [lo, hi].
func NewHistogram(lo, hi float64) *Histogram {
	return &Histogram{Min: lo, Max: hi, Limit: math.Max(math.Abs(lo), math.Abs(hi)), Counts: make([]float64, 2*Bins)}
}

func (h *Histogram) width() float64 { return h.Limit / Bins }

// Add counts the values of v. Values outside [-Limit, Limit] land in the
// outermost bins.
func (h *Histogram) Add(v []float32) {
	if h.Limit == 0 {
		h.Zeros += float64(len(v))
		return
	}
	inv := Bins / h.Limit
	for _, x := range v {
		switch {
		case x > 0:
			h.Counts[Bins+min(int(float64(x)*inv), Bins-1)]++
		case x < 0:
			h.Counts[Bins-1-min(int(-float64(x)*inv), Bins-1)]++
		default:
			h.Zeros++
		}
	}
}

// Total is the number of values counted, zeros included.
func (h *Histogram) Total() float64 {
	t := h.Zeros
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Quantile returns the value below which a fraction q of the counted values
// lie, interpolating linearly inside a bin and clamped to [Min, Max].
func (h *Histogram) Quantile(q float64) float64 {
	target := q * h.Total()
	w := h.width()
	acc := 0.0
	for i, c := range h.Counts {
		if i == Bins { // the zeros sit between the two halves
			if acc+h.Zeros >= target && h.Zeros > 0 {
				return 0
			}
			acc += h.Zeros
		}
		if c > 0 && acc+c >= target {
			x := -h.Limit + float64(i)*w + w*(target-acc)/c
			return math.Max(h.Min, math.Min(h.Max, x))
		}
		acc += c
	}
	return h.Max
}

// positive returns the Bins counts of the positive half, innermost first.
func (h *Histogram) positive() []float64 { return h.Counts[Bins:] }

// negative returns the Bins counts of the negative half by |x|, innermost first.
func (h *Histogram) negative() []float64 {
	n := make([]float64, Bins)
	for i := range n {
		n[i] = h.Counts[Bins-1-i]
	}
	return n
}

// Range chooses the real range [lo, hi] (lo <= 0 <= hi) for the tensor
// with method; percentile applies to Percentile.
func (h *Histogram) Range(method string, percentile float64) (lo, hi float64, err error) {
	lo, hi = math.Min(h.Min, 0), math.Max(h.Max, 0)
	if h.Limit == 0 {
		return 0, 0, nil
	}
	switch method {
	case MinMax:
		return lo, hi, nil
	case Percentile:
		if !(percentile > 50 && percentile <= 100) {
			return 0, 0, fmt.Errorf("percentile %v is outside (50, 100]", percentile)
		}
		p := percentile / 100
		return math.Min(h.Quantile(1-p), 0), math.Max(h.Quantile(p), 0), nil
	case Entropy:
		lo, hi = h.entropyRange()
		return lo, hi, nil
	case MSE:
		lo, hi = h.mseRange()
		return lo, hi, nil
	}
	return 0, 0, fmt.Errorf("unknown calibration method %q (want %s)", method, methodList)
}
