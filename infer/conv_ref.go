package infer

import "github.com/edgecnn/edgecnn/infer/kernel"

// convRef is the specification of the int8 Conv2D, written as the direct
// loop nest: for output rows [y0, y1) of a batch-1 NHWC image,
//
//	acc = Bias[oc] + sum over ky, kx, ic of x * w[oc][(ky*KW + kx)*C + ic]
//	out = RequantOne(acc)  (fixed-point multiplier, output zero point, clamp)
//
// where x is the raw int8 input, or PadValue (the input zero point) outside
// the image. w holds OC rows of KH*KW*C weights, row oc starting at oc*ldw.
// The bias has the input zero point's contribution folded in, so padding
// with the zero point adds exactly a real zero.
func convRef(out, in []int8, s *kernel.ConvShape, w []int8, ldw int, rq *kernel.Requant, y0, y1 int) {
	for oy := y0; oy < y1; oy++ {
		for ox := 0; ox < s.OW; ox++ {
			for oc := 0; oc < s.OC; oc++ {
				acc := rq.Bias[oc]
				wc := w[oc*ldw:]
				for ky := 0; ky < s.KH; ky++ {
					iy := oy*s.SH - s.PadTop + ky
					for kx := 0; kx < s.KW; kx++ {
						ix := ox*s.SW - s.PadLeft + kx
						inside := iy >= 0 && iy < s.H && ix >= 0 && ix < s.W
						for ic := 0; ic < s.C; ic++ {
							x := int32(s.PadValue)
							if inside {
								x = int32(in[(iy*s.W+ix)*s.C+ic])
							}
							acc += x * int32(wc[(ky*s.KW+kx)*s.C+ic])
						}
					}
				}
				out[(oy*s.OW+ox)*s.OC+oc] = kernel.RequantOne(acc, rq.Multiplier[oc], rq.Shift[oc], rq)
			}
		}
	}
}
