package preprocess

// boxImage is the source seen through integer-factor box averaging: pixel
// (x, y) is the mean of the fx x fy source block whose top-left corner is
// (ox + x*fx, oy + y*fy). With fx = fy = 1 it is the source itself. It is
// never materialised; pixels are averaged when asked for.
type boxImage struct {
	src     []byte
	stride  int
	fx, fy  int
	ox, oy  int
	w, h    int
	inverse float32 // 1 / (fx*fy)
}

// newBoxImage picks the averaging factors for shrinking sw x sh to dw x dh.
func newBoxImage(src []byte, sw, sh, stride, dw, dh int) boxImage {
	fx, fy := boxFactor(sw, dw), boxFactor(sh, dh)
	w, h := sw/fx, sh/fy
	return boxImage{
		src: src, stride: stride,
		fx: fx, fy: fy,
		ox: (sw - w*fx) / 2, oy: (sh - h*fy) / 2,
		w: w, h: h,
		inverse: 1 / float32(fx*fy),
	}
}

// boxFactor is the integer shrink factor applied before interpolation: n/d
// when the source is at least twice the destination, else 1.
func boxFactor(n, d int) int {
	if n >= 2*d {
		return n / d
	}
	return 1
}

// pixel returns the averaged RGB value of box pixel (x, y).
func (b *boxImage) pixel(x, y int) [3]float32 {
	off := (b.oy+y*b.fy)*b.stride + (b.ox+x*b.fx)*3
	if b.fx == 1 && b.fy == 1 {
		s := b.src[off : off+3]
		return [3]float32{float32(s[0]), float32(s[1]), float32(s[2])}
	}
	var r, g, bl uint32
	for j := 0; j < b.fy; j++ {
		row := b.src[off+j*b.stride : off+j*b.stride+b.fx*3]
		for i := 0; i+2 < len(row); i += 3 {
			r += uint32(row[i])
			g += uint32(row[i+1])
			bl += uint32(row[i+2])
		}
	}
	return [3]float32{float32(r) * b.inverse, float32(g) * b.inverse, float32(bl) * b.inverse}
}
