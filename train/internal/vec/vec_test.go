package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// values draws from a small set so that pooling windows have ties, with
// signed zeros, infinities and (when nan) NaN among them.
func values(r *rand.Rand, n int, nan bool) []float32 {
	set := []float32{-2, -1, 0, float32(math.Copysign(0, -1)), 1, 2, 3, float32(math.Inf(1)), float32(math.Inf(-1))}
	if nan {
		set = append(set, float32(math.NaN()))
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = set[r.IntN(len(set))]
	}
	return v
}

// sameBits compares bit for bit, any NaN matching any NaN.
func sameBits(t *testing.T, want, got []float32, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		g := got[i]
		if math.IsNaN(float64(w)) && math.IsNaN(float64(g)) {
			continue
		}
		require.Equal(t, math.Float32bits(w), math.Float32bits(g), "%s: element %d: want %g, got %g", what, i, w, g)
	}
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

// TestReLUGradAndAdd: the loops in use match the Go ones bit for bit on
// every length up to 40 (so every tail), and the Go ones match their
// definition.
func TestReLUGradAndAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 40; n++ {
		dy, y := values(r, n, true), values(r, n+3, true)
		want := clone(dy)
		reluGradGo(want, y[:n])
		for i, v := range y[:n] {
			if v <= 0 {
				require.Zero(t, want[i])
			} else {
				sameBits(t, dy[i:i+1], want[i:i+1], "ReLUGrad keeps")
			}
		}
		got := clone(dy)
		ReLUGrad(got, y)
		sameBits(t, want, got, fmt.Sprintf("%s ReLUGrad n=%d", impl, n))

		dst, src := values(r, n, true), values(r, n+1, true)
		want = clone(dst)
		addGo(want, src[:n])
		for i := range want {
			sameBits(t, []float32{dst[i] + src[i]}, want[i:i+1], "Add")
		}
		got = clone(dst)
		Add(got, src)
		sameBits(t, want, got, fmt.Sprintf("%s Add n=%d", impl, n))
	}
}

// TestClamp: the loop in use matches the Go one bit for bit on every
// length up to 40 (NaN, infinities and signed zeros among the values), and
// the Go one its definition.
func TestClamp(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const top = 2
	for n := 0; n <= 40; n++ {
		x := values(r, n+1, true)
		want := make([]float32, n)
		clampGo(want, x, top)
		for i, v := range x[:n] {
			switch {
			case v > 0 && v < top:
				sameBits(t, x[i:i+1], want[i:i+1], "Clamp keeps")
			case v >= top:
				require.Equal(t, float32(top), want[i])
			default:
				require.Equal(t, uint32(0), math.Float32bits(want[i]), "Clamp of %g", v)
			}
		}
		got := make([]float32, n)
		Clamp(got, x, top)
		sameBits(t, want, got, fmt.Sprintf("%s Clamp n=%d", impl, n))
	}
}

// TestClampGrad: the loop in use matches the Go one bit for bit on every
// length up to 40, in place and not, and the Go one its definition.
func TestClampGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const top = 2 // values() holds 2 and 3, so y == top and y > top occur
	for n := 0; n <= 40; n++ {
		dy, y := values(r, n+1, true), values(r, n+2, true)
		want := make([]float32, n)
		clampGradGo(want, dy, y, top)
		for i, v := range y[:n] {
			if v <= 0 || v >= top {
				require.Zero(t, want[i])
			} else {
				sameBits(t, dy[i:i+1], want[i:i+1], "ClampGrad keeps")
			}
		}
		got := values(r, n, false)
		ClampGrad(got, dy, y, top)
		sameBits(t, want, got, fmt.Sprintf("%s ClampGrad n=%d", impl, n))
		inPlace := clone(dy[:n])
		ClampGrad(inPlace, inPlace, y, top)
		sameBits(t, want, inPlace, fmt.Sprintf("%s ClampGrad in place n=%d", impl, n))
	}
}

// TestMulAdd: the loop in use matches the Go one bit for bit for channel
// counts with and without an AVX2 path and every combination of steps
// (0, c, 2c), and the Go one its definition.
func TestMulAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []int{1, 7, 8, 16, 24, 40} {
		for _, pixels := range []int{1, 2, 5} {
			for _, steps := range [][3]int{{c, 2 * c, 0}, {0, 2 * c, c}, {2 * c, c, 0}, {c, c, c}} {
				size := func(step int) int { return (pixels-1)*step + c }
				dst, a, b := values(r, size(steps[0]), false), values(r, size(steps[1]), false), values(r, size(steps[2]), false)
				want := clone(dst)
				for p := range pixels {
					for i := range c {
						want[p*steps[0]+i] += a[p*steps[1]+i] * b[p*steps[2]+i]
					}
				}
				what := fmt.Sprintf("%s MulAdd c=%d pixels=%d steps=%v", impl, c, pixels, steps)
				got := clone(dst)
				mulAddGo(got, steps[0], a, steps[1], b, steps[2], c, pixels)
				sameBits(t, want, got, "Go "+what)
				got = clone(dst)
				MulAdd(got, steps[0], a, steps[1], b, steps[2], c, pixels)
				sameBits(t, want, got, what)
			}
		}
	}
}

// TestBatchNormLoops: Affine, Affine2 and ChannelSums in use match the Go
// ones bit for bit, with and without an AVX2 path, and their definitions.
func TestBatchNormLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	uniform := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32()*8 - 4
		}
		return v
	}
	for _, c := range []int{3, 8, 16, 40} {
		for _, pixels := range []int{1, 2, 7} {
			what := fmt.Sprintf("%s c=%d pixels=%d", impl, c, pixels)
			n := c * pixels
			x, u, a, b, d := uniform(n), uniform(n), uniform(c), uniform(c), uniform(c)
			want := make([]float32, n)
			for i := range want {
				want[i] = x[i]*a[i%c] + b[i%c]
			}
			got := make([]float32, n)
			Affine(got, x, a, b, c)
			sameBits(t, want, got, "Affine "+what)
			for i := range want {
				want[i] = x[i]*a[i%c] + u[i]*b[i%c] + d[i%c]
			}
			Affine2(got, x, u, a, b, d, c)
			sameBits(t, want, got, "Affine2 "+what)

			w1, w2 := make([]float64, c), make([]float64, c)
			for i := range x {
				w1[i%c] += float64(x[i])
				w2[i%c] += float64(x[i]) * float64(u[i])
			}
			g1, g2 := make([]float64, c), make([]float64, c)
			ChannelSums(g1, g2, x, u, c)
			require.Equal(t, w1, g1, "ChannelSums s1 "+what)
			require.Equal(t, w2, g2, "ChannelSums s2 "+what)
		}
	}
}

// TestMaxPool2x2: forward and backward of the loops in use match the Go
// ones bit for bit (with ties, signed zeros, infinities and NaN), for
// channel counts the assembly takes and ones it leaves to Go; the Go ones
// give each window's maximum and route the gradient to its first maximum.
func TestMaxPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []int{1, 3, 8, 16, 24} {
		for _, n := range []int{1, 2, 5} {
			for _, nan := range []bool{false, true} {
				what := fmt.Sprintf("%s c=%d n=%d nan=%v", impl, c, n, nan)
				x0, x1 := values(r, 2*n*c+c, nan), values(r, 2*n*c, nan)
				want := make([]float32, n*c)
				maxPool2x2Go(want, x0[:2*n*c], x1, c)
				got := make([]float32, n*c+1)
				MaxPool2x2(got[:n*c], x0, x1, c)
				sameBits(t, want, got[:n*c], what+" forward")

				dy := values(r, n*c, false)
				wdx0, wdx1 := make([]float32, 2*n*c), make([]float32, 2*n*c)
				maxPool2x2GradGo(wdx0, wdx1, x0[:2*n*c], x1, want, dy, c)
				gdx0, gdx1 := values(r, 2*n*c, true), values(r, 2*n*c, true)
				MaxPool2x2Grad(gdx0, gdx1, x0, x1, got, dy, c)
				sameBits(t, wdx0, gdx0, what+" backward row 0")
				sameBits(t, wdx1, gdx1, what+" backward row 1")
				if !nan {
					checkPoolDefinition(t, x0, x1, want, dy, wdx0, wdx1, n, c)
				}
			}
		}
	}
}

// checkPoolDefinition checks the Go pool against the definition on data
// without NaN.
func checkPoolDefinition(t *testing.T, x0, x1, y, dy, dx0, dx1 []float32, n, c int) {
	t.Helper()
	for x := 0; x < n; x++ {
		for ch := 0; ch < c; ch++ {
			j0, j1 := 2*x*c+ch, (2*x+1)*c+ch
			ins := []float32{x0[j0], x0[j1], x1[j0], x1[j1]}
			outs := []float32{dx0[j0], dx0[j1], dx1[j0], dx1[j1]}
			first := 0
			for k, v := range ins {
				if v > ins[first] {
					first = k
				}
			}
			require.Equal(t, ins[first], y[x*c+ch], "maximum of window %d channel %d", x, ch)
			for k := range ins {
				want := float32(0)
				if k == first {
					want = dy[x*c+ch]
				}
				require.Equal(t, want, outs[k], "gradient of window %d channel %d input %d", x, ch, k)
			}
		}
	}
}

// TestEmptyPools: rows with no output pixel touch nothing.
func TestEmptyPools(t *testing.T) {
	MaxPool2x2(nil, nil, nil, 8)
	MaxPool2x2Grad(nil, nil, nil, nil, nil, nil, 8)
}

// TestAdam: the loop in use matches the Go one bit for bit on every length
// up to 40 (so every tail), with zero and tiny moments, and the Go one
// matches the update written out in float64 to within float32 rounding.
func TestAdam(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var alpha, b1, b2, eps float32 = 0.01, 0.9, 0.999, 1e-7
	for n := 0; n <= 40; n++ {
		w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			w[i], g[i] = r.Float32()*2-1, r.Float32()*2-1
			if i%3 > 0 {
				m[i], v[i] = r.Float32()*0.2-0.1, r.Float32()*1e-3
			}
		}
		ww, wm, wv := clone(w), clone(m), clone(v)
		adamGo(ww, g, wm, wv, adamConsts{alpha, b1, 1 - b1, b2, 1 - b2, eps})
		for i := range n {
			mi := 0.9*float64(m[i]) + 0.1*float64(g[i])
			vi := 0.999*float64(v[i]) + 0.001*float64(g[i])*float64(g[i])
			wi := float64(w[i]) - 0.01*mi/(math.Sqrt(vi)+1e-7)
			require.InDelta(t, mi, wm[i], 1e-6, "m")
			require.InDelta(t, vi, wv[i], 1e-6, "v")
			require.InDelta(t, wi, ww[i], 1e-5, "w")
		}
		gw, gm, gv := clone(w), clone(m), clone(v)
		Adam(gw, g, gm, gv, alpha, b1, b2, eps)
		sameBits(t, wm, gm, fmt.Sprintf("%s Adam m n=%d", impl, n))
		sameBits(t, wv, gv, fmt.Sprintf("%s Adam v n=%d", impl, n))
		sameBits(t, ww, gw, fmt.Sprintf("%s Adam w n=%d", impl, n))
	}
}
