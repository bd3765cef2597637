package preprocess

import "math"

// axis holds tf.image.resize's bilinear sampling of one output coordinate:
// the two source coordinates either side and the weight of the upper one.
type axis struct {
	lower, upper int
	lerp         float32
}

// bilinearAxis computes the half-pixel-centre sample for output index i,
// exactly as TensorFlow's compute_interpolation_weights does (in float32).
func bilinearAxis(i int, scale float32, inSize int) axis {
	in := (float32(i)+0.5)*scale - 0.5
	floor := float32(math.Floor(float64(in)))
	return axis{
		lower: max(int(floor), 0),
		upper: min(int(math.Ceil(float64(in))), inSize-1),
		lerp:  in - floor,
	}
}

// nearestIndex is TensorFlow's half-pixel-centre nearest-neighbour source
// index for output index i.
func nearestIndex(i int, scale float32, inSize int) int {
	in := int(math.Floor(float64((float32(i) + 0.5) * scale)))
	return max(min(in, inSize-1), 0)
}

// tileColumns is how many box-image columns the bilinear row cache holds.
// Output columns are processed in tiles of tileOutput: as a tile's box
// columns span less than 2*tileOutput + 2 (the horizontal scale is below 2,
// since the box factor leaves the box image less than twice the output), a
// tile always fits.
const (
	tileColumns = 512
	tileOutput  = tileColumns/2 - 2
)

// rowCache holds the two box-image rows an output row interpolates between,
// for one tile of columns starting at first, so every box pixel is averaged
// once per tile however many output rows read it. It lives on the stack.
type rowCache struct {
	first, last int    // box columns held
	rows        [2]int // box row in each slot, -1 for none
	pix         [2][tileColumns * 3]float32
}

// row returns box row y of the tile, averaging it if it is not held. Rows are
// asked for in non-decreasing order, so the lower slot is the one to reuse.
func (c *rowCache) row(b *boxImage, y int) []float32 {
	for k, r := range c.rows {
		if r == y {
			return c.pix[k][:]
		}
	}
	k := 0
	if c.rows[1] < c.rows[0] {
		k = 1
	}
	c.rows[k] = y
	for x := c.first; x <= c.last; x++ {
		p := b.pixel(x, y)
		copy(c.pix[k][(x-c.first)*3:], p[:])
	}
	return c.pix[k][:]
}

func resizeBilinear(dst []byte, dw, dh int, b *boxImage, lut *[256]byte) {
	sx := float32(b.w) / float32(dw)
	sy := float32(b.h) / float32(dh)
	var cache rowCache
	for x0 := 0; x0 < dw; x0 += tileOutput {
		x1 := min(x0+tileOutput, dw)
		cache.first = bilinearAxis(x0, sx, b.w).lower
		cache.last = bilinearAxis(x1-1, sx, b.w).upper
		cache.rows = [2]int{-1, -1}
		for y := 0; y < dh; y++ {
			ay := bilinearAxis(y, sy, b.h)
			top, bot := cache.row(b, ay.lower), cache.row(b, ay.upper)
			out := dst[y*dw*3 : (y+1)*dw*3]
			for x := x0; x < x1; x++ {
				ax := bilinearAxis(x, sx, b.w)
				l, r := (ax.lower-cache.first)*3, (ax.upper-cache.first)*3
				for c := 0; c < 3; c++ {
					t := top[l+c] + (top[r+c]-top[l+c])*ax.lerp
					u := bot[l+c] + (bot[r+c]-bot[l+c])*ax.lerp
					store(out, x*3+c, t+(u-t)*ay.lerp, lut)
				}
			}
		}
	}
}

func resizeNearest(dst []byte, dw, dh int, b *boxImage, lut *[256]byte) {
	sx := float32(b.w) / float32(dw)
	sy := float32(b.h) / float32(dh)
	for y := 0; y < dh; y++ {
		iy := nearestIndex(y, sy, b.h)
		out := dst[y*dw*3 : (y+1)*dw*3]
		for x := 0; x < dw; x++ {
			p := b.pixel(nearestIndex(x, sx, b.w), iy)
			for c := 0; c < 3; c++ {
				store(out, x*3+c, p[c], lut)
			}
		}
	}
}
