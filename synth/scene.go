package synth

import "math/rand/v2"

// Class names, in label order (sorted, as the dataset package reads them).
const (
	Car   = "Car"
	Truck = "Truck"
)

// ClassNames lists the generated classes in label order.
var ClassNames = []string{Car, Truck}

// randomColour is a uniformly random colour.
func randomColour(rng *rand.Rand) rgb {
	return rgb{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
}

// Background colours: skies (blue, overcast, dusk) and grounds (asphalt,
// grass, dirt, sand), each varied by near.
var (
	skies   = []rgb{{110, 160, 225}, {150, 155, 165}, {215, 150, 110}, {60, 80, 130}}
	grounds = []rgb{{80, 80, 85}, {70, 120, 60}, {120, 95, 70}, {190, 175, 135}}
)

// near varies each channel of c by up to ±spread.
func near(rng *rand.Rand, c rgb, spread int) rgb {
	var out rgb
	for k := range out {
		out[k] = byte(min(max(int(c[k])+rng.IntN(2*spread+1)-spread, 0), 255))
	}
	return out
}

// jitter draws uniformly from [lo, hi).
func jitter(rng *rand.Rand, lo, hi float64) float64 {
	return lo + rng.Float64()*(hi-lo)
}

// drawScene paints a side view of a vehicle of the given class on a sky and
// ground background, randomly placed, scaled, coloured and mirrored.
func drawScene(c *canvas, class string, rng *rand.Rand) {
	size := float64(c.w)
	horizon := int(jitter(rng, 0.45, 0.7) * size)
	sky := near(rng, skies[rng.IntN(len(skies))], 30)
	c.verticalGradient(0, horizon, sky, mix(sky, rgb{255, 255, 255}, jitter(rng, 0.2, 0.6)))
	ground := near(rng, grounds[rng.IntN(len(grounds))], 30)
	c.verticalGradient(horizon, c.h, scale(ground, jitter(rng, 0.7, 1)), ground)
	background := [2]rgb{sky, ground}

	length := jitter(rng, 0.75, 0.95) * size
	x0 := jitter(rng, 0.02*size, size-length-0.02*size)
	v := vehicle{c: c, x0: x0, ground: jitter(rng, 0.8, 0.95) * size, length: length, background: background}
	if class == Car {
		v.car(rng)
	} else {
		v.truck(rng)
	}
	if rng.IntN(2) == 1 {
		c.mirror()
	}
}

// vehicle draws in units of its length, from its rear (x0) at ground level.
type vehicle struct {
	c                  *canvas
	x0, ground, length float64
	background         [2]rgb // sky and ground, which paint should stand out from
}

// paint draws a random colour that differs clearly from the background.
func (v *vehicle) paint(rng *rand.Rand) rgb {
	for {
		c := randomColour(rng)
		if distance(c, v.background[0]) > 120 && distance(c, v.background[1]) > 120 {
			return c
		}
	}
}

// distance is the sum of absolute channel differences.
func distance(a, b rgb) int {
	d := 0
	for k := range a {
		d += max(int(a[k])-int(b[k]), int(b[k])-int(a[k]))
	}
	return d
}

// at maps (along, up) in vehicle lengths to canvas coordinates.
func (v *vehicle) at(along, up float64) (x, y float64) {
	return v.x0 + along*v.length, v.ground - up*v.length
}

func (v *vehicle) rect(along0, up0, along1, up1 float64, col rgb) {
	x0, y1 := v.at(along0, up0)
	x1, y0 := v.at(along1, up1)
	v.c.rect(x0, y0, x1, y1, col)
}

func (v *vehicle) wheel(along, radius float64, tyre, hub rgb) {
	x, y := v.at(along, radius)
	v.c.disc(x, y, radius*v.length, tyre)
	v.c.disc(x, y, radius*v.length*0.45, hub)
}

// car: a long low body with a cabin bump in the middle and two wheels.
func (v *vehicle) car(rng *rand.Rand) {
	body := v.paint(rng)
	glass := mix(randomColour(rng), rgb{170, 200, 230}, 0.6)
	r := jitter(rng, 0.1, 0.13)
	bodyTop := jitter(rng, 0.22, 0.27)
	roof := bodyTop + jitter(rng, 0.13, 0.17)
	v.rect(0, r*0.6, 1, bodyTop, body)
	// Cabin: a trapezoid narrower at the roof, with a window inside.
	_, yRoof := v.at(0, roof)
	_, yBase := v.at(0, bodyTop)
	xb0, _ := v.at(jitter(rng, 0.18, 0.26), 0)
	xb1, _ := v.at(jitter(rng, 0.72, 0.8), 0)
	xt0, _ := v.at(jitter(rng, 0.32, 0.38), 0)
	xt1, _ := v.at(jitter(rng, 0.6, 0.66), 0)
	v.c.trapezoid(yRoof, xt0, xt1, yBase, xb0, xb1, body)
	inset := 0.025 * v.length
	v.c.trapezoid(yRoof+inset, xt0+inset, xt1-inset, yBase, xb0+2*inset, xb1-2*inset, glass)
	tyre, hub := rgb{25, 25, 25}, rgb{160, 160, 160}
	v.wheel(jitter(rng, 0.17, 0.22), r, tyre, hub)
	v.wheel(jitter(rng, 0.78, 0.83), r, tyre, hub)
}

// truck: a tall cargo box at the back, a separate lower cab at the front,
// a chassis under both and two or three wheels.
func (v *vehicle) truck(rng *rand.Rand) {
	cargo := v.paint(rng)
	cab := v.paint(rng)
	glass := mix(randomColour(rng), rgb{170, 200, 230}, 0.6)
	r := jitter(rng, 0.08, 0.1)
	boxEnd := jitter(rng, 0.64, 0.7)
	boxTop := jitter(rng, 0.62, 0.75)
	cabTop := jitter(rng, 0.38, 0.45)
	chassis := scale(cab, 0.4)
	v.rect(0, r*0.7, 1, r*1.4, chassis)
	v.rect(0, r*1.3, boxEnd, boxTop, cargo)
	v.rect(boxEnd+0.03, r*1.3, 1, cabTop, cab)
	v.rect(boxEnd+0.13, cabTop*0.62, 0.96, cabTop-0.04, glass)
	tyre, hub := rgb{25, 25, 25}, rgb{160, 160, 160}
	v.wheel(jitter(rng, 0.12, 0.17), r, tyre, hub)
	if rng.IntN(2) == 1 {
		v.wheel(jitter(rng, 0.32, 0.36), r, tyre, hub)
	}
	v.wheel(jitter(rng, 0.84, 0.88), r, tyre, hub)
}
