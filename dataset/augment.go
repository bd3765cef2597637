package dataset

import (
	"math"
	"math/rand/v2"
)

// Augment holds Keras-like random augmentation factors, applied to every
// sample of a batch on the fly. A zero (or negative) factor disables that
// step. The steps run in this order, in pixel units [0, 255]:
//
//   - FlipHorizontal: mirror left-right with probability 1/2 (RandomFlip).
//   - Translate: shift by a whole number of pixels drawn from
//     [-Translate, Translate] times the width (and, independently, the
//     height) (RandomTranslation); uncovered pixels repeat the nearest edge
//     pixel, or are black with FillZeros.
//   - Contrast: (x - mean) * f + mean per channel, f drawn from
//     [1-Contrast, 1+Contrast] (clamped at 0), clipped to [0, 255]
//     (RandomContrast).
//   - Brightness: add a delta drawn from [-Brightness, Brightness] in [0, 1]
//     units (times 255), clipped to [0, 255] (RandomBrightness).
type Augment struct {
	FlipHorizontal bool
	Contrast       float32
	Brightness     float32
	Translate      float32
	FillZeros      bool
}

func (a *Augment) enabled() bool {
	return a.FlipHorizontal || a.Contrast > 0 || a.Brightness > 0 || a.Translate > 0
}

// transform is one sample's draw of the random parameters.
type transform struct {
	flip     bool
	dx, dy   int
	contrast float32
	delta    float32
}

// draw picks a sample's parameters; only enabled steps consume numbers.
func (a *Augment) draw(rng *rand.Rand, h, w int) transform {
	t := transform{contrast: 1}
	if a.FlipHorizontal {
		t.flip = rng.IntN(2) == 1
	}
	if a.Translate > 0 {
		t.dx = int(math.Round(float64(symmetric(rng, a.Translate) * float32(w))))
		t.dy = int(math.Round(float64(symmetric(rng, a.Translate) * float32(h))))
	}
	if a.Contrast > 0 {
		t.contrast = max(1+symmetric(rng, a.Contrast), 0)
	}
	if a.Brightness > 0 {
		t.delta = symmetric(rng, a.Brightness) * 255
	}
	return t
}

// symmetric draws uniformly from [-f, f).
func symmetric(rng *rand.Rand, f float32) float32 {
	return (rng.Float32()*2 - 1) * f
}

// apply writes img (h x w RGB) transformed by t into out as p*scale + offset.
func (t *transform) apply(out []float32, img []uint8, h, w int, fillZeros bool, scale, offset float32) {
	var sum [3]float32
	for y := 0; y < h; y++ {
		sy, inY := clampIndex(y-t.dy, h)
		for x := 0; x < w; x++ {
			sx, inX := clampIndex(x-t.dx, w)
			if t.flip {
				sx = w - 1 - sx
			}
			o := (y*w + x) * 3
			if fillZeros && !(inX && inY) {
				out[o], out[o+1], out[o+2] = 0, 0, 0
				continue
			}
			s := (sy*w + sx) * 3
			for c := 0; c < 3; c++ {
				v := float32(img[s+c])
				out[o+c] = v
				sum[c] += v
			}
		}
	}
	n := float32(h * w)
	mean := [3]float32{sum[0] / n, sum[1] / n, sum[2] / n}
	for i := 0; i < len(out); i += 3 {
		for c := 0; c < 3; c++ {
			v := clip255((out[i+c]-mean[c])*t.contrast + mean[c])
			out[i+c] = clip255(v+t.delta)*scale + offset
		}
	}
}

// clampIndex clamps i into [0, n) and reports whether it was inside.
func clampIndex(i, n int) (int, bool) {
	switch {
	case i < 0:
		return 0, false
	case i >= n:
		return n - 1, false
	}
	return i, true
}

func clip255(v float32) float32 {
	return min(max(v, 0), 255)
}
