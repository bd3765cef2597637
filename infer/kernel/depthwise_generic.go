package kernel

// depthwiseGeneric is the reference depthwise convolution: the
// specification every optimised implementation must match bit for bit.
// Taps outside the image read the input zero point (PadValue).
func depthwiseGeneric(out, in []int8, d *DepthwiseConv, _ []int8, y0, y1 int) {
	s, rq, cp := &d.s, d.rq, depthwisePaddedC(d.s.C)
	for oy := y0; oy < y1; oy++ {
		for ox := range s.OW {
			px := out[(oy*s.OW+ox)*s.C:][:s.C]
			for c := range px {
				var acc int32
				for ky := range s.KH {
					iy := oy*s.SH - s.PadTop + ky
					for kx := range s.KW {
						ix := ox*s.SW - s.PadLeft + kx
						x := s.PadValue
						if iy >= 0 && iy < s.H && ix >= 0 && ix < s.W {
							x = in[(iy*s.W+ix)*s.C+c]
						}
						acc += int32(x) * int32(d.packed[(ky*s.KW+kx)*cp+c])
					}
				}
				px[c] = RequantOne(acc+rq.Bias[c], rq.Multiplier[c], rq.Shift[c], rq)
			}
		}
	}
}
