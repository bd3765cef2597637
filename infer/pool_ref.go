package infer

import "github.com/edgecnn/edgecnn/infer/kernel"

// poolShape is the geometry of a pooling layer on one NHWC image. Global
// average pooling is the window covering the whole image.
type poolShape struct {
	H, W, C         int // input
	KH, KW          int // window
	SH, SW          int // strides
	PadTop, PadLeft int // 'same' padding before the first row and column
	OH, OW          int // output; channels are unchanged
}

// window returns the input rows [y0, y1) and columns [x0, x1) output pixel
// (oy, ox) covers, clipped to the image: padding is ignored, as in Keras.
func (p *poolShape) window(oy, ox int) (y0, y1, x0, x1 int) {
	y0, x0 = oy*p.SH-p.PadTop, ox*p.SW-p.PadLeft
	y1, x1 = min(y0+p.KH, p.H), min(x0+p.KW, p.W)
	return max(y0, 0), y1, max(x0, 0), x1
}

// maxPoolRef is the specification of the int8 MaxPool2D for output rows
// [oy0, oy1): the largest raw input in the window (scale and zero point are
// kept), clamped to [actMin, actMax].
func maxPoolRef(out, in []int8, p *poolShape, actMin, actMax int32, oy0, oy1 int) {
	for oy := oy0; oy < oy1; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			o := out[(oy*p.OW+ox)*p.C : (oy*p.OW+ox+1)*p.C]
			for c := range o {
				m := int32(-128)
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						m = max(m, int32(in[(y*p.W+x)*p.C+c]))
					}
				}
				o[c] = int8(min(max(m, actMin), actMax))
			}
		}
	}
}

// avgQuant says how an average pool maps its int32 window sum to int8.
type avgQuant struct {
	ActMin, ActMax int32
	// Rescale is set when the output quantisation differs from the input's.
	// Then out = OutZero + MulQ(sum - count*InZero, mult, shift), with the
	// multiplier in_scale / (out_scale * count) of the window's count.
	Rescale bool
	InZero  int32
	OutZero int32
	Muls    []countMul // one per window size that occurs
}

// countMul is the fixed-point multiplier for windows of Count elements.
type countMul struct{ Count, Mult, Shift int32 }

// find returns the index of count's multiplier in Muls, or -1.
func (q *avgQuant) find(count int32) int {
	for i, m := range q.Muls {
		if m.Count == count {
			return i
		}
	}
	return -1
}

// average maps the sum of count raw inputs to the int8 output; cm is
// count's multiplier when rescaling.
func (q *avgQuant) average(sum, count int32, cm countMul) int8 {
	var v int32
	if q.Rescale {
		v = q.OutZero + kernel.MulQ(sum-count*q.InZero, cm.Mult, cm.Shift)
	} else if sum >= 0 { // TFLite: round half away from zero, scale kept
		v = (sum + count/2) / count
	} else {
		v = (sum - count/2) / count
	}
	return int8(min(max(v, q.ActMin), q.ActMax))
}

// avgPoolRef is the specification of the int8 AveragePooling2D and
// GlobalAveragePooling2D for output rows [oy0, oy1): the sum of the raw
// inputs in the window (padding excluded from sum and count), averaged by q.
func avgPoolRef(out, in []int8, p *poolShape, q *avgQuant, oy0, oy1 int) {
	for oy := oy0; oy < oy1; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			count := int32((y1 - y0) * (x1 - x0))
			var cm countMul
			if q.Rescale {
				cm = q.Muls[q.find(count)]
			}
			o := out[(oy*p.OW+ox)*p.C : (oy*p.OW+ox+1)*p.C]
			for c := range o {
				var sum int32
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						sum += int32(in[(y*p.W+x)*p.C+c])
					}
				}
				o[c] = q.average(sum, count, cm)
			}
		}
	}
}
