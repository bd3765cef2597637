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

// column caches the box pixels of one source column in the two rows a
// bilinear output row reads.
type column struct {
	x        int
	top, bot [3]float32
}

func resizeBilinear(dst []byte, dw, dh int, b *boxImage, lut *[256]byte) {
	sx := float32(b.w) / float32(dw)
	sy := float32(b.h) / float32(dh)
	for y := 0; y < dh; y++ {
		ay := bilinearAxis(y, sy, b.h)
		// Lower columns never move left, so two cached columns mean each
		// box pixel of these rows is averaged once.
		cache := [2]column{{x: -1}, {x: -1}}
		load := func(x int) *column {
			for k := range cache {
				if cache[k].x == x {
					return &cache[k]
				}
			}
			c := &cache[0]
			if cache[1].x < cache[0].x {
				c = &cache[1]
			}
			c.x = x
			c.top = b.pixel(x, ay.lower)
			c.bot = c.top
			if ay.upper != ay.lower {
				c.bot = b.pixel(x, ay.upper)
			}
			return c
		}
		out := dst[y*dw*3 : (y+1)*dw*3]
		for x := 0; x < dw; x++ {
			ax := bilinearAxis(x, sx, b.w)
			l := load(ax.lower)
			r := l
			if ax.upper != ax.lower {
				r = load(ax.upper)
			}
			for c := 0; c < 3; c++ {
				top := l.top[c] + (r.top[c]-l.top[c])*ax.lerp
				bot := l.bot[c] + (r.bot[c]-l.bot[c])*ax.lerp
				store(out, x*3+c, top+(bot-top)*ay.lerp, lut)
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
