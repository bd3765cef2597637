package quantize

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// maxWeight bounds int8 weights to [-127, 127] so pairwise int16 sums in the
// ARMv8.0 kernels cannot overflow.
const maxWeight = 127

// int8Layer is a Conv2D, DepthwiseConv2D or Dense layer in int8: rows [OC][K] of weights, the
// per-channel weight scales, the int32 bias (input zero point folded in) and
// the requantisation multipliers.
type int8Layer struct {
	oc, k       int
	w           []int8 // oc*k, unpacked
	scales      []float32
	bias        []int32
	mult, shift []int32
}

// quantizeLayer quantises f for input parameters in and output parameters out.
func quantizeLayer(f *floatLayer, in, out model.QuantParams) (*int8Layer, error) {
	q := &int8Layer{oc: f.oc, k: f.k, w: make([]int8, f.oc*f.k),
		scales: make([]float32, f.oc), bias: make([]int32, f.oc), mult: make([]int32, f.oc), shift: make([]int32, f.oc)}
	for c := range f.oc {
		row := f.w[c*f.k : (c+1)*f.k]
		maxAbs := 0.0
		for _, v := range row {
			maxAbs = math.Max(maxAbs, math.Abs(v))
		}
		s := float32(maxAbs / maxWeight)
		if s == 0 {
			s = 1 // an all-zero channel: any scale represents it exactly
		}
		q.scales[c] = s
		var sum int64
		for k, v := range row {
			w := int8(math.Max(-maxWeight, math.Min(maxWeight, math.Round(v/float64(s)))))
			q.w[c*f.k+k] = w
			sum += int64(w)
		}
		accScale := float64(in.Scale) * float64(s)
		b := math.Round(f.bias[c]/accScale) - float64(int64(in.ZeroPoint)*sum)
		if b < math.MinInt32 || b > math.MaxInt32 {
			return nil, fmt.Errorf("channel %d: bias %g does not fit int32 at scale %g (the input range is too narrow for it)", c, f.bias[c], accScale)
		}
		q.bias[c] = int32(b)
		q.mult[c], q.shift[c] = kernel.QuantizeMultiplier(accScale / float64(out.Scale))
	}
	return q, nil
}

// packed returns the weights of a Conv2D or Dense in kernel.Layout.
func (q *int8Layer) packed() []int8 {
	p := make([]int8, kernel.PackedLen(q.oc, q.k))
	kernel.Pack(p, q.w, q.oc, q.k)
	return p
}

// packedDepthwise returns the weights of a kh x kw DepthwiseConv2D (rows
// [C][KH*KW]) in kernel.DepthwiseLayout.
func (q *int8Layer) packedDepthwise(kh, kw int) []int8 {
	hwc := make([]int8, q.oc*q.k)
	for c := range q.oc {
		for t := range q.k {
			hwc[t*q.oc+c] = q.w[c*q.k+t]
		}
	}
	p := make([]int8, kernel.DepthwisePackedLen(kh, kw, q.oc))
	kernel.PackDepthwise(p, hwc, kh, kw, q.oc)
	return p
}

// dequantized returns weight k of channel c as a real number.
func (q *int8Layer) dequantized(c, k int) float64 {
	return float64(q.w[c*q.k+k]) * float64(q.scales[c])
}
