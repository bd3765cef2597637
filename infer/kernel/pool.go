package kernel

// MaxPool computes output rows [y0, y1) of a 'valid' MaxPool2D with a
// pool x pool window and the given stride on an h x w x c int8 image (NHWC).
// out holds OH*OW*c values with OH = (h-pool)/stride+1 and OW =
// (w-pool)/stride+1. Rows may be split across workers.
func MaxPool(out, in []int8, h, w, c, pool, stride, y0, y1 int) {
	active.maxPool(out, in, h, w, c, pool, stride, y0, y1)
}

// maxPoolGeneric is the reference MaxPool.
func maxPoolGeneric(out, in []int8, h, w, c, pool, stride, y0, y1 int) {
	ow := (w-pool)/stride + 1
	for oy := y0; oy < y1; oy++ {
		for ox := 0; ox < ow; ox++ {
			maxPoolPixel(out[(oy*ow+ox)*c:], in, w, c, pool, stride, oy, ox, 0)
		}
	}
}

// maxPoolPixel writes channels [c0, c) of output pixel (oy, ox) to dst[c0:].
func maxPoolPixel(dst, in []int8, w, c, pool, stride, oy, ox, c0 int) {
	for ch := c0; ch < c; ch++ {
		m := int8(-128)
		for py := 0; py < pool; py++ {
			row := ((oy*stride+py)*w + ox*stride) * c
			for px := 0; px < pool; px++ {
				m = max(m, in[row+px*c+ch])
			}
		}
		dst[ch] = m
	}
}
