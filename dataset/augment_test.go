package dataset

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// grey expands one value per pixel to RGB.
func grey(vs ...uint8) []uint8 {
	out := make([]uint8, 0, 3*len(vs))
	for _, v := range vs {
		out = append(out, v, v, v)
	}
	return out
}

func greyFloats(vs ...float32) []float32 {
	out := make([]float32, 0, 3*len(vs))
	for _, v := range vs {
		out = append(out, v, v, v)
	}
	return out
}

func TestTransformHandComputed(t *testing.T) {
	row := grey(10, 20, 30)
	cases := []struct {
		name      string
		img       []uint8
		h, w      int
		t         transform
		fillZeros bool
		want      []float32
	}{
		{"identity", row, 1, 3, transform{contrast: 1}, false, greyFloats(10, 20, 30)},
		{"flip", row, 1, 3, transform{flip: true, contrast: 1}, false, greyFloats(30, 20, 10)},
		{"shift right, nearest fill", row, 1, 3, transform{dx: 1, contrast: 1}, false, greyFloats(10, 10, 20)},
		{"shift left, zero fill", row, 1, 3, transform{dx: -1, contrast: 1}, true, greyFloats(20, 30, 0)},
		{"flip then shift", row, 1, 3, transform{flip: true, dx: 1, contrast: 1}, false, greyFloats(30, 30, 20)},
		{"shift down", grey(10, 20), 2, 1, transform{dy: 1, contrast: 1}, false, greyFloats(10, 10)},
		// mean 150: (100-150)*2+150 = 50, (200-150)*2+150 = 250.
		{"contrast", grey(100, 200), 1, 2, transform{contrast: 2}, false, greyFloats(50, 250)},
		// factor 3 gives 0 and 300, clipped to 255.
		{"contrast clipped", grey(100, 200), 1, 2, transform{contrast: 3}, false, greyFloats(0, 255)},
		{"brightness clipped", grey(100, 250), 1, 2, transform{contrast: 1, delta: 10}, false, greyFloats(110, 255)},
	}
	for _, c := range cases {
		out := make([]float32, len(c.img))
		c.t.apply(out, c.img, c.h, c.w, c.fillZeros, 1, 0)
		require.InDeltaSlice(t, c.want, out, 1e-4, c.name)
	}
	// Contrast uses each channel's own mean.
	out := make([]float32, 6)
	(&transform{contrast: 2}).apply(out, []uint8{100, 0, 50, 200, 10, 50}, 1, 2, false, 1, 0)
	require.InDeltaSlice(t, []float32{50, 0, 50, 250, 15, 50}, out, 1e-4)
	// Scale and offset come last.
	(&transform{contrast: 1}).apply(out[:3], grey(255), 1, 1, false, 2.0/255, -1)
	require.InDeltaSlice(t, greyFloats(1), out[:3], 1e-6)
}

func TestDrawStaysInRange(t *testing.T) {
	a := &Augment{FlipHorizontal: true, Contrast: 0.3, Brightness: 0.2, Translate: 0.25}
	rng := rand.New(rand.NewPCG(1, 2))
	flips := 0
	for range 2000 {
		tr := a.draw(rng, 8, 20)
		if tr.flip {
			flips++
		}
		require.LessOrEqual(t, math.Abs(float64(tr.dx)), 5.0) // 0.25 * 20
		require.LessOrEqual(t, math.Abs(float64(tr.dy)), 2.0) // 0.25 * 8
		require.InDelta(t, 1, tr.contrast, 0.3)
		require.InDelta(t, 0, tr.delta, 0.2*255)
	}
	require.InDelta(t, 1000, flips, 150, "flip with probability 1/2")

	none := (&Augment{}).draw(rng, 8, 20)
	require.Equal(t, transform{contrast: 1}, none)
	require.False(t, (&Augment{Contrast: -1}).enabled())
}
