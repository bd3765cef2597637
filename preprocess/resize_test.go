package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refResize is the specification written out slowly in float64: materialise
// the box-averaged image, then sample it as tf.image.resize does. The source
// coordinates of nearest are computed in float32, as TensorFlow does, so a
// tie falls on the same side; all pixel arithmetic is float64.
func refResize(src []byte, sw, sh, stride, dw, dh int, method string) []float64 {
	fx, fy := 1, 1
	if sw >= 2*dw {
		fx = sw / dw
	}
	if sh >= 2*dh {
		fy = sh / dh
	}
	iw, ih := sw/fx, sh/fy
	ox, oy := (sw-iw*fx)/2, (sh-ih*fy)/2
	box := make([]float64, iw*ih*3)
	for y := 0; y < ih; y++ {
		for x := 0; x < iw; x++ {
			for c := 0; c < 3; c++ {
				sum := 0.0
				for j := 0; j < fy; j++ {
					for i := 0; i < fx; i++ {
						sum += float64(src[(oy+y*fy+j)*stride+(ox+x*fx+i)*3+c])
					}
				}
				box[(y*iw+x)*3+c] = sum / float64(fx*fy)
			}
		}
	}
	at := func(x, y, c int) float64 { return box[(y*iw+x)*3+c] }
	out := make([]float64, dw*dh*3)
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			for c := 0; c < 3; c++ {
				var v float64
				if method == Nearest {
					v = at(refNearest(x, iw, dw), refNearest(y, ih, dh), c)
				} else {
					x0, x1, wx := refLinear(x, iw, dw)
					y0, y1, wy := refLinear(y, ih, dh)
					top := at(x0, y0, c)*(1-wx) + at(x1, y0, c)*wx
					bot := at(x0, y1, c)*(1-wx) + at(x1, y1, c)*wx
					v = top*(1-wy) + bot*wy
				}
				out[(y*dw+x)*3+c] = v
			}
		}
	}
	return out
}

func refLinear(i, in, out int) (lo, hi int, w float64) {
	p := (float64(i)+0.5)*float64(in)/float64(out) - 0.5
	f := math.Floor(p)
	lo = max(int(f), 0)
	hi = min(int(math.Ceil(p)), in-1)
	return lo, hi, p - f
}

func refNearest(i, in, out int) int {
	scale := float32(in) / float32(out)
	p := int(math.Floor(float64((float32(i) + 0.5) * scale)))
	return max(min(p, in-1), 0)
}

func randomRGB(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

func TestResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][4]int{ // sw, sh, dw, dh
		{640, 480, 128, 128}, {640, 480, 96, 96}, {64, 48, 32, 32}, {33, 17, 8, 5},
		{32, 32, 128, 96}, {7, 3, 20, 11}, {10, 10, 7, 13}, {5, 5, 2, 2}, {100, 3, 9, 3},
		{1, 1, 4, 4}, {9, 9, 1, 1}, {31, 29, 15, 14},
		{700, 9, 300, 4}, {200, 3, 530, 2}, // several column tiles
	}
	for _, method := range []string{Bilinear, Nearest} {
		for _, s := range sizes {
			sw, sh, dw, dh := s[0], s[1], s[2], s[3]
			t.Run(fmt.Sprintf("%s/%dx%d-%dx%d", method, sw, sh, dw, dh), func(t *testing.T) {
				stride := sw*3 + rng.IntN(5)
				src := randomRGB(rng, stride*sh)
				dst := make([]byte, dw*dh*3)
				ResizeRGB(dst, dw, dh, src, sw, sh, stride, method, nil)
				want := refResize(src, sw, sh, stride, dw, dh, method)
				for i, v := range dst {
					require.InDelta(t, want[i], float64(v), 0.5+1e-3, "byte %d (x=%d y=%d c=%d)", i, i/3%dw, i/3/dw, i%3)
				}
			})
		}
	}
}

func TestResizeIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const w, h, stride = 13, 7, 13*3 + 2
	src := randomRGB(rng, stride*h)
	for _, method := range []string{Bilinear, Nearest} {
		dst := make([]byte, w*h*3)
		ResizeRGB(dst, w, h, src, w, h, stride, method, nil)
		for y := 0; y < h; y++ {
			require.Equal(t, src[y*stride:y*stride+w*3], dst[y*w*3:(y+1)*w*3], "row %d", y)
		}
	}
}

func TestResizeHandComputed(t *testing.T) {
	gray := func(vs ...byte) []byte { // one value per pixel, repeated over R, G, B
		b := make([]byte, 0, len(vs)*3)
		for _, v := range vs {
			b = append(b, v, v, v)
		}
		return b
	}
	cases := []struct {
		name           string
		src            []byte
		sw, sh, dw, dh int
		method         string
		want           []byte
	}{
		// 2x2 -> 1x1: the area average (0+10+20+31)/4 = 15.25.
		{"area 2x2", gray(0, 10, 20, 31), 2, 2, 1, 1, Bilinear, gray(15)},
		{"area 2x2 nearest", gray(0, 10, 20, 31), 2, 2, 1, 1, Nearest, gray(15)},
		// 4x1 -> 2x1: pairs are averaged, then sampled one to one.
		{"area 4x1", gray(10, 20, 30, 50), 4, 1, 2, 1, Bilinear, gray(15, 40)},
		// 5x1 -> 2x1: factor 2, the leftover column is split (0 left, 1 right).
		{"area 5x1", gray(10, 20, 30, 50, 255), 5, 1, 2, 1, Bilinear, gray(15, 40)},
		// 2x1 -> 4x1: source x = (x+0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
		{"upscale", gray(0, 100), 2, 1, 4, 1, Bilinear, gray(0, 25, 75, 100)},
		// nearest: floor((x+0.5)/2) = 0, 0, 1, 1.
		{"upscale nearest", gray(0, 100), 2, 1, 4, 1, Nearest, gray(0, 0, 100, 100)},
		// 3x1 -> 2x1 (no averaging): x = 0.25 and 1.75.
		{"shrink 1.5", gray(0, 100, 200), 3, 1, 2, 1, Bilinear, gray(25, 175)},
		// nearest: floor(0.75) = 0, floor(2.25) = 2.
		{"shrink 1.5 nearest", gray(0, 100, 200), 3, 1, 2, 1, Nearest, gray(0, 200)},
	}
	for _, c := range cases {
		dst := make([]byte, c.dw*c.dh*3)
		ResizeRGB(dst, c.dw, c.dh, c.src, c.sw, c.sh, c.sw*3, c.method, nil)
		require.Equal(t, c.want, dst, c.name)
	}
	// Channels stay apart.
	dst := make([]byte, 3)
	ResizeRGB(dst, 1, 1, []byte{0, 100, 200, 2, 102, 202}, 2, 1, 6, Bilinear, nil)
	require.Equal(t, []byte{1, 101, 201}, dst)
}

func TestResizeLUT(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var lut [256]byte
	for i := range lut {
		lut[i] = byte(i) ^ 0x80 // uint8 -> int8 bits, as the runtime quantises
	}
	for _, s := range [][4]int{{40, 30, 16, 16}, {16, 16, 16, 16}, {8, 8, 20, 20}} {
		for _, method := range []string{Bilinear, Nearest} {
			src := randomRGB(rng, s[0]*s[1]*3)
			plain := make([]byte, s[2]*s[3]*3)
			mapped := make([]byte, len(plain))
			ResizeRGB(plain, s[2], s[3], src, s[0], s[1], s[0]*3, method, nil)
			ResizeRGB(mapped, s[2], s[3], src, s[0], s[1], s[0]*3, method, &lut)
			for i := range plain {
				require.Equal(t, lut[plain[i]], mapped[i])
			}
		}
	}
}

func TestResizeBadArguments(t *testing.T) {
	src := make([]byte, 4*4*3)
	require.PanicsWithValue(t, "preprocess: dst has 3 bytes, 2x2 RGB needs 12", func() {
		ResizeRGB(make([]byte, 3), 2, 2, src, 4, 4, 12, Bilinear, nil)
	})
	require.Panics(t, func() { ResizeRGB(make([]byte, 12), 2, 2, src, 4, 5, 12, Bilinear, nil) })
	require.Panics(t, func() { ResizeRGB(make([]byte, 12), 2, 2, src, 4, 4, 11, Bilinear, nil) })
	require.Panics(t, func() { ResizeRGB(make([]byte, 12), 2, 2, src, 4, 4, 12, "bicubic", nil) })
	require.Panics(t, func() { ResizeRGB(make([]byte, 12), 0, 2, src, 4, 4, 12, Bilinear, nil) })
}

func TestResizeAllocatesNothing(t *testing.T) {
	src := randomRGB(rand.New(rand.NewPCG(7, 8)), 640*480*3)
	dst := make([]byte, 128*128*3)
	var lut [256]byte
	for _, method := range []string{Bilinear, Nearest} {
		allocs := testing.AllocsPerRun(5, func() {
			ResizeRGB(dst, 128, 128, src, 640, 480, 640*3, method, &lut)
			ResizeRGB(dst, 128, 128, src, 100, 90, 640*3, method, nil)
			ResizeRGB(dst[:300*4*3], 300, 4, src, 640, 480, 640*3, method, nil)
		})
		require.Zero(t, allocs, method)
	}
}

func BenchmarkResize640x480To128(b *testing.B) {
	src := randomRGB(rand.New(rand.NewPCG(9, 10)), 640*480*3)
	dst := make([]byte, 128*128*3)
	var lut [256]byte
	for _, bc := range []struct {
		name   string
		method string
		lut    *[256]byte
	}{{"bilinear", Bilinear, nil}, {"nearest", Nearest, nil}, {"bilinear-lut", Bilinear, &lut}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				ResizeRGB(dst, 128, 128, src, 640, 480, 640*3, bc.method, bc.lut)
			}
		})
	}
}
