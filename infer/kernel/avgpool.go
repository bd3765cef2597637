package kernel

// AvgPool computes output rows [y0, y1) of a 'valid' AveragePooling2D with
// a ph x pw window and the given strides on an h x w x c int8 image (NHWC),
// as TFLite's reference int8 AveragePool: the output keeps the input's
// scale and zero point, and each window's sum is divided by its count with
// the count's half added away from zero, then clamped to [actMin, actMax].
// out holds OH*OW*c values with OH = (h-ph)/sh+1 and OW = (w-pw)/sw+1.
func AvgPool(out, in []int8, h, w, c, ph, pw, sh, sw int, actMin, actMax int32, y0, y1 int) {
	ow := (w-pw)/sw + 1
	n := int32(ph * pw)
	for oy := y0; oy < y1; oy++ {
		for ox := range ow {
			px := out[(oy*ow+ox)*c:][:c]
			for ch := range px {
				var sum int32
				for py := range ph {
					row := ((oy*sh+py)*w + ox*sw) * c
					for qx := range pw {
						sum += int32(in[row+qx*c+ch])
					}
				}
				px[ch] = int8(min(max(roundedDiv(sum, n), actMin), actMax))
			}
		}
	}
}

// GlobalAvgPool averages each of the c channels of an h x w image into
// out[:c] (GlobalAveragePooling2D: AvgPool with an h x w window).
func GlobalAvgPool(out, in []int8, h, w, c int, actMin, actMax int32) {
	AvgPool(out, in, h, w, c, h, w, 1, 1, actMin, actMax, 0, 1)
}

// roundedDiv is sum/n rounded to nearest, halves away from zero (TFLite:
// (sum ± n/2) / n with C's truncating division).
func roundedDiv(sum, n int32) int32 {
	if sum > 0 {
		return (sum + n/2) / n
	}
	return (sum - n/2) / n
}
