package calib

import "math"

// Target bins of the entropy search: the number of int8 levels a one-sided
// tensor (for example a ReLU output, zero point -128) spreads over [0, T],
// and the number each sign gets when a two-sided tensor is clipped to
// [-T, T].
const (
	oneSidedLevels = 256
	twoSidedLevels = 128
)

// klFloor stands in for empty bins of the quantised distribution where the
// reference has mass (MXNet smooths such bins with 1e-4 of a count), so the
// divergence stays finite but heavily penalised.
const klFloor = 1e-4

// entropyRange picks the range by KL-divergence threshold search on the
// side(s) of zero that hold values.
func (h *Histogram) entropyRange() (lo, hi float64) {
	w := h.width()
	switch {
	case h.Min >= 0:
		return 0, math.Min(h.Max, float64(klThreshold(h.positive(), oneSidedLevels))*w)
	case h.Max <= 0:
		return math.Max(h.Min, -float64(klThreshold(h.negative(), oneSidedLevels))*w), 0
	}
	abs := h.negative()
	for i, c := range h.positive() {
		abs[i] += c
	}
	t := float64(klThreshold(abs, twoSidedLevels)) * w
	return math.Max(h.Min, -t), math.Min(h.Max, t)
}

// klThreshold returns the number i of leading bins of hist to keep: the
// threshold minimising KL(P||Q), where P is hist[:i] with every count beyond
// i added to its last bin (clipping), and Q is hist[:i] merged into levels
// groups and expanded back, each group's count shared evenly among the bins
// where P is not empty. This is the search of TensorRT's entropy calibrator
// (as MXNet and ncnn implement it), with one change: a group spans exactly
// i/levels bins, splitting the bins at its edges by their overlap (as ncnn's
// merge does), where MXNet merges i/levels (rounded down) bins and lumps the
// remainder into the last group, which favours thresholds at multiples of
// levels bins. Thresholds below levels bins are not considered: at that
// point every bin has its own level.
func klThreshold(hist []float64, levels int) int {
	last := len(hist)
	for last > 0 && hist[last-1] == 0 {
		last--
	}
	if last <= levels {
		return last
	}
	outliers := make([]float64, last+1) // outliers[i] = sum(hist[i:last])
	for i := last - 1; i >= 0; i-- {
		outliers[i] = outliers[i+1] + hist[i]
	}
	p := make([]float64, last)
	q := make([]float64, last)
	best, bestKL := last, math.Inf(1)
	for i := levels; i <= last; i++ {
		copy(p, hist[:i])
		p[i-1] += outliers[i]
		clear(q[:i])
		width := float64(i) / float64(levels)
		for j := range levels {
			start, end := float64(j)*width, float64(j+1)*width
			k0, k1 := int(start), min(int(math.Ceil(end)), i)
			var count, nonEmpty float64
			for k := k0; k < k1; k++ {
				ov := overlap(k, start, end)
				count += ov * hist[k]
				if p[k] != 0 {
					nonEmpty += ov
				}
			}
			if nonEmpty == 0 {
				continue
			}
			for k := k0; k < k1; k++ {
				if p[k] != 0 {
					q[k] += overlap(k, start, end) * count / nonEmpty
				}
			}
		}
		if kl := klDivergence(p[:i], q[:i]); kl < bestKL {
			best, bestKL = i, kl
		}
	}
	return best
}

// overlap is the length of bin k's overlap with [start, end).
func overlap(k int, start, end float64) float64 {
	return max(0, min(end, float64(k+1))-max(start, float64(k)))
}

// klDivergence is KL(P||Q) of the histograms p and q, each normalised to sum
// 1; bins where p is empty contribute nothing.
func klDivergence(p, q []float64) float64 {
	var sp, sq float64
	for k := range p {
		sp += p[k]
		sq += max(q[k], klFloor)
	}
	kl := 0.0
	for k, pk := range p {
		if pk == 0 {
			continue
		}
		kl += pk / sp * math.Log((pk/sp)/(max(q[k], klFloor)/sq))
	}
	return kl
}
