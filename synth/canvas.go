package synth

import "math"

// canvas is a packed RGB drawing surface with the few filled shapes the
// vehicles are made of. Shapes are clipped to the canvas.
type canvas struct {
	w, h int
	pix  []byte
}

type rgb [3]byte

func (c *canvas) set(x, y int, col rgb) {
	i := (y*c.w + x) * 3
	c.pix[i], c.pix[i+1], c.pix[i+2] = col[0], col[1], col[2]
}

// span fills row y from x0 to x1 (exclusive), clipped.
func (c *canvas) span(y int, x0, x1 float64, col rgb) {
	if y < 0 || y >= c.h {
		return
	}
	for x := max(int(x0+0.5), 0); x < min(int(x1+0.5), c.w); x++ {
		c.set(x, y, col)
	}
}

// rect fills [x0, x1) x [y0, y1).
func (c *canvas) rect(x0, y0, x1, y1 float64, col rgb) {
	for y := int(y0 + 0.5); y < int(y1+0.5); y++ {
		c.span(y, x0, x1, col)
	}
}

// trapezoid fills the shape whose top edge spans [tx0, tx1) at y0 and whose
// bottom edge spans [bx0, bx1) at y1.
func (c *canvas) trapezoid(y0, tx0, tx1, y1, bx0, bx1 float64, col rgb) {
	for y := int(y0 + 0.5); y < int(y1+0.5); y++ {
		t := (float64(y) + 0.5 - y0) / (y1 - y0)
		c.span(y, tx0+(bx0-tx0)*t, tx1+(bx1-tx1)*t, col)
	}
}

// disc fills the circle of radius r centred on (cx, cy).
func (c *canvas) disc(cx, cy, r float64, col rgb) {
	for y := int(cy - r); y <= int(cy+r)+1; y++ {
		dy := float64(y) + 0.5 - cy
		if d := r*r - dy*dy; d > 0 {
			half := math.Sqrt(d)
			c.span(y, cx-half, cx+half, col)
		}
	}
}

// verticalGradient fills rows [y0, y1) blending from top to bottom colour.
func (c *canvas) verticalGradient(y0, y1 int, top, bottom rgb) {
	for y := max(y0, 0); y < min(y1, c.h); y++ {
		t := float64(y-y0) / float64(max(y1-y0-1, 1))
		col := mix(top, bottom, t)
		for x := 0; x < c.w; x++ {
			c.set(x, y, col)
		}
	}
}

// mirror flips the canvas left-right.
func (c *canvas) mirror() {
	for y := 0; y < c.h; y++ {
		row := c.pix[y*c.w*3 : (y+1)*c.w*3]
		for l, r := 0, c.w-1; l < r; l, r = l+1, r-1 {
			for k := 0; k < 3; k++ {
				row[l*3+k], row[r*3+k] = row[r*3+k], row[l*3+k]
			}
		}
	}
}

// mix blends a towards b by t in [0, 1].
func mix(a, b rgb, t float64) rgb {
	var out rgb
	for k := range out {
		out[k] = byte(float64(a[k]) + (float64(b[k])-float64(a[k]))*t + 0.5)
	}
	return out
}

// scale multiplies a colour's brightness by f, saturating.
func scale(a rgb, f float64) rgb {
	var out rgb
	for k := range out {
		out[k] = byte(min(float64(a[k])*f, 255))
	}
	return out
}
