package runloop

import (
	"math"
	"time"
)

// Latency histogram: logarithmic buckets 1% wide from 1 µs to about 100 s,
// so percentiles cost no allocation and no sorting.
const (
	histMin     = float64(time.Microsecond)
	histGrowth  = 1.01
	histBuckets = 1900 // 1.01^1900 ≈ 1.6e8: up to ~160 s
)

var logGrowth = math.Log(histGrowth)

// histogram counts durations in logarithmic buckets.
type histogram struct {
	counts [histBuckets]uint32
	n      uint64
}

func (h *histogram) add(d time.Duration) {
	i := 0
	if v := float64(d); v > histMin {
		i = min(int(math.Log(v/histMin)/logGrowth), histBuckets-1)
	}
	h.counts[i]++
	h.n++
}

// quantile returns the duration below which a fraction q of the samples
// fall, as the geometric middle of its bucket (within 0.5%).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return time.Duration(histMin * math.Pow(histGrowth, float64(i)+0.5))
		}
	}
	return time.Duration(histMin * math.Pow(histGrowth, histBuckets))
}

func (h *histogram) reset() { *h = histogram{} }
