package device

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// yuvReference is the BT.601 limited-range formula in float64.
func yuvReference(y, u, v byte) [3]float64 {
	yy, uu, vv := 1.164*(float64(y)-16), float64(u)-128, float64(v)-128
	clamp := func(x float64) float64 { return math.Max(0, math.Min(255, math.Round(x))) }
	return [3]float64{clamp(yy + 1.596*vv), clamp(yy - 0.392*uu - 0.813*vv), clamp(yy + 2.017*uu)}
}

func TestYUVToRGBMatchesFormula(t *testing.T) {
	for y := 0; y < 256; y += 3 {
		for u := 0; u < 256; u += 5 {
			for v := 0; v < 256; v += 7 {
				r, g, b := yuvToRGB(byte(y), byte(u), byte(v))
				want := yuvReference(byte(y), byte(u), byte(v))
				for k, got := range []byte{r, g, b} {
					require.InDelta(t, want[k], float64(got), 1, "yuv %d,%d,%d channel %d", y, u, v, k)
				}
			}
		}
	}
	r, g, b := yuvToRGB(16, 128, 128)
	require.Equal(t, [3]byte{0, 0, 0}, [3]byte{r, g, b}, "video black")
	r, g, b = yuvToRGB(235, 128, 128)
	require.Equal(t, [3]byte{255, 255, 255}, [3]byte{r, g, b}, "video white")
}

func TestI420Layout(t *testing.T) {
	const w, h = 7, 5 // odd: chroma planes are rounded up
	src := producerI420(1, w, h)
	require.Len(t, src, i420Size(w, h))
	var f Frame
	i420ToFrame(&f, src, w, h)
	cw := (w + 1) / 2
	chroma := cw * ((h + 1) / 2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := (y/2)*cw + x/2
			r, g, b := yuvToRGB(src[y*w+x], src[w*h+c], src[w*h+chroma+c])
			require.Equal(t, []byte{r, g, b}, f.Pix[(y*w+x)*3:(y*w+x)*3+3], "pixel %d,%d", x, y)
		}
	}
}

func TestYUYVLayoutWithStride(t *testing.T) {
	const w, h, stride = 4, 3, 12 // 4 bytes of row padding
	src := make([]byte, stride*h)
	for i := range src {
		src[i] = byte(40 + i*9)
	}
	var f Frame
	yuyvToFrame(&f, src, w, h, stride)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pair := src[y*stride+(x/2)*4:]
			r, g, b := yuvToRGB(pair[(x%2)*2], pair[1], pair[3])
			require.Equal(t, []byte{r, g, b}, f.Pix[(y*w+x)*3:(y*w+x)*3+3], "pixel %d,%d", x, y)
		}
	}
}
