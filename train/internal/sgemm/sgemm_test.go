package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// naive is the textbook triple loop in float64.
func naive(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			c[i*n+j] = s
		}
	}
	return c
}

func randSlice(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

func checkClose(t *testing.T, want []float64, got []float32, ldc, m, n int, what string) {
	t.Helper()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			w, g := want[i*n+j], float64(got[i*ldc+j])
			require.InDelta(t, w, g, 1e-4*(1+math.Abs(w)), "%s: C[%d][%d]", what, i, j)
		}
	}
}

// withKernel runs f with k as the package's micro-kernel.
func withKernel(k implementation, f func()) {
	saved := implementation{impl, kernel}
	defer use(saved)
	use(k)
	f()
}

// TestGemm compares every transpose combination, with and without
// accumulation and with every epilogue, against the naive product, on
// shapes that exercise the edge tiles and several KC and MC blocks, for
// every available kernel.
func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 3}, {5, 3, 300}, {100, 33, 513}, {197, 40, 27}, {13, 129, 64}, {12, 32, 256}}
	for _, k := range impls {
		name := k.name
		withKernel(k, func() {
			for _, s := range shapes {
				m, n, k := s[0], s[1], s[2]
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						what := fmt.Sprintf("%s m=%d n=%d k=%d ta=%v tb=%v", name, m, n, k, ta, tb)
						gemmCase(t, r, what, ta, tb, m, n, k)
					}
				}
			}
		})
	}
}

func gemmCase(t *testing.T, r *rand.Rand, what string, ta, tb bool, m, n, k int) {
	a := randSlice(r, m*k+3)
	b := randSlice(r, n*k+5)
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	want := naive(ta, tb, m, n, k, a, lda, b, ldb)
	ldc := n + 2
	c := randSlice(r, m*ldc)
	var ws Workspace
	Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, false, Epilogue{}, &ws)
	checkClose(t, want, c, ldc, m, n, what)

	// Accumulate onto the previous result: 2x the product.
	var pb PackedB
	pb.Pack(tb, k, n, b, ldb)
	GemmPacked(ta, m, a, lda, &pb, c, ldc, true, Epilogue{}, &ws)
	for i := range want {
		want[i] *= 2
	}
	checkClose(t, want, c, ldc, m, n, what+" packed+accumulate")

	// Epilogues on a fresh product: relu(AB + bias) and AB + bias, with B
	// packed and not.
	bias := randSlice(r, n)
	for _, relu := range []bool{false, true} {
		ep := Epilogue{Bias: bias, ReLU: relu}
		epWant := make([]float64, len(want))
		for i, v := range want {
			v = v/2 + float64(bias[i%n])
			if relu {
				v = math.Max(v, 0)
			}
			epWant[i] = v
		}
		Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, false, ep, &ws)
		checkClose(t, epWant, c, ldc, m, n, fmt.Sprintf("%s epilogue relu=%v", what, relu))
		GemmPacked(ta, m, a, lda, &pb, c, ldc, false, ep, &ws)
		checkClose(t, epWant, c, ldc, m, n, fmt.Sprintf("%s packed epilogue relu=%v", what, relu))
	}
	// ReLU alone, accumulating: relu(relu(AB + bias) + AB).
	prev := append([]float32(nil), c...)
	GemmPacked(ta, m, a, lda, &pb, c, ldc, true, Epilogue{ReLU: true}, &ws)
	accWant := make([]float64, len(want))
	for i, v := range want {
		accWant[i] = math.Max(float64(prev[i/n*ldc+i%n])+v/2, 0)
	}
	checkClose(t, accWant, c, ldc, m, n, what+" accumulate+relu")
}

// sameBits compares float32 slices bit for bit, any NaN matching any NaN.
func sameBits(t *testing.T, want, got []float32, what string) {
	t.Helper()
	for i, w := range want {
		g := got[i]
		if math.IsNaN(float64(w)) && math.IsNaN(float64(g)) {
			continue
		}
		require.Equal(t, math.Float32bits(w), math.Float32bits(g), "%s: element %d: want %g, got %g", what, i, w, g)
	}
}

// TestKernelEpilogueExact: with products that are exact in float32 (one
// step of small integers), every kernel stores exactly what the generic
// kernel stores, for every flag combination and operand layout, and
// special values (NaN, infinities, signed zeros) in B, C and the bias.
// The strides cover a packed A and B (1, MR; NR) and ones read in place.
func TestKernelEpilogueExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, -3, 2}
	pick := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = special[r.IntN(len(special))]
		}
		return v
	}
	const ldc = NR + 3
	for _, k := range impls {
		name, kern := k.name, k.kernel
		for flags := 0; flags < 8; flags++ {
			for _, strides := range [][3]int{{1, MR, NR}, {7, 1, NR}, {2, 13, NR + 5}} {
				rs, cs, bs := strides[0], strides[1], strides[2]
				for _, kc := range []int{1, 2} {
					a := make([]float32, (MR-1)*rs+(kc-1)*cs+1)
					for i := range a {
						a[i] = float32(r.IntN(5) - 2)
					}
					b := pick((kc-1)*bs + NR)
					bias := pick(NR)
					c0 := pick(MR * ldc)
					want := append([]float32(nil), c0...)
					kernelGeneric(kc, a, rs, cs, b, bs, want, ldc, flags, bias)
					got := append([]float32(nil), c0...)
					kern(kc, a, rs, cs, b, bs, got, ldc, flags, bias)
					sameBits(t, want, got, fmt.Sprintf("%s flags=%b rs=%d cs=%d bs=%d kc=%d", name, flags, rs, cs, bs, kc))
				}
			}
		}
	}
}

// TestKernelsAgree compares every kernel with the generic one on random
// data, deep enough for rounding to differ only in the last bits.
func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const ldc = NR + 1
	for _, k := range impls[1:] {
		kernelsAgree(t, r, k, ldc)
	}
}

func kernelsAgree(t *testing.T, r *rand.Rand, k implementation, ldc int) {
	for _, kc := range []int{1, 5, 256} {
		for flags := 0; flags < 8; flags++ {
			a, b, bias, c0 := randSlice(r, kc*MR), randSlice(r, kc*NR), randSlice(r, NR), randSlice(r, MR*ldc)
			want := append([]float32(nil), c0...)
			kernelGeneric(kc, a, 1, MR, b, NR, want, ldc, flags, bias)
			got := append([]float32(nil), c0...)
			k.kernel(kc, a, 1, MR, b, NR, got, ldc, flags, bias)
			for i := range want {
				require.InDelta(t, want[i], got[i], 1e-5*float64(kc), "%s kc=%d flags=%b element %d", k.name, kc, flags, i)
			}
			for i := 0; i < MR; i++ {
				require.Equal(t, c0[i*ldc+NR:(i+1)*ldc], got[i*ldc+NR:(i+1)*ldc], "columns past the tile untouched")
			}
		}
	}
}

// TestGemmZeroDepth checks that k == 0 clears C (or leaves it when
// accumulating), then applies the epilogue.
func TestGemmZeroDepth(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	var ws Workspace
	Gemm(false, false, 2, 2, 0, nil, 0, nil, 2, c, 2, true, Epilogue{}, &ws)
	require.Equal(t, []float32{1, 2, 3, 4}, c)
	Gemm(false, false, 2, 2, 0, nil, 0, nil, 2, c, 2, false, Epilogue{}, &ws)
	require.Equal(t, []float32{0, 0, 0, 0}, c)
	var pb PackedB
	pb.Pack(false, 0, 2, nil, 2)
	GemmPacked(false, 2, nil, 0, &pb, c, 2, false, Epilogue{Bias: []float32{-1, 5}, ReLU: true}, &ws)
	require.Equal(t, []float32{0, 5, 0, 5}, c)
}

// benchGemm times GemmPacked on an m x k A and a k x n B with every kernel.
func benchGemm(b *testing.B, transA bool, m, n, k int, ep Epilogue) {
	r := rand.New(rand.NewPCG(1, 2))
	a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	lda := k
	if transA {
		lda = m
	}
	var ws Workspace
	var pb PackedB
	pb.Pack(false, k, n, bm, n)
	for _, kern := range impls {
		b.Run(kern.name, func(b *testing.B) {
			withKernel(kern, func() {
				for i := 0; i < b.N; i++ {
					GemmPacked(transA, m, a, lda, &pb, c, n, false, ep, &ws)
				}
			})
			b.ReportMetric(float64(b.N)*float64(2*m*n*k)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkGemm512(b *testing.B)        { benchGemm(b, false, 512, 128, 576, Epilogue{}) }
func BenchmarkGemm512Trans(b *testing.B)   { benchGemm(b, true, 512, 128, 576, Epilogue{}) }
func BenchmarkGemmConv1x32(b *testing.B)   { benchGemm(b, false, 1024, 32, 27, Epilogue{}) }
func BenchmarkGemmDeep1152(b *testing.B)   { benchGemm(b, false, 64, 128, 1152, Epilogue{}) }
func BenchmarkGemmTransK1152(b *testing.B) { benchGemm(b, true, 1152, 128, 192, Epilogue{}) }
func BenchmarkGemmTransK288(b *testing.B)  { benchGemm(b, true, 288, 64, 768, Epilogue{}) }
func BenchmarkGemmTransK27(b *testing.B)   { benchGemm(b, true, 27, 32, 3072, Epilogue{}) }
func BenchmarkGemmBiasReLU(b *testing.B) {
	benchGemm(b, false, 512, 128, 576, Epilogue{Bias: make([]float32, 128), ReLU: true})
}

// BenchmarkConvGemms times the three multiplications of a training step's
// convolution (forward, weight gradient, input gradient) at the shapes of
// the presets' layers on 32x32 inputs: pixels of one im2col group x patch
// length x filters.
func BenchmarkConvGemms(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{9216, 27, 32}, {768, 288, 64}, {448, 576, 128}, {192, 1152, 128}} {
		px, k, oc := s[0], s[1], s[2]
		col, w, dz := randSlice(r, px*k), randSlice(r, k*oc), randSlice(r, px*oc)
		out, dw, dcol := make([]float32, px*oc), make([]float32, k*oc), make([]float32, px*k)
		var ws Workspace
		var wt PackedB
		wt.Pack(true, oc, k, w, oc)
		run := func(name string, f func()) {
			b.Run(fmt.Sprintf("%s-%dx%dx%d", name, px, k, oc), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					f()
				}
				b.ReportMetric(float64(b.N)*float64(2*px*k*oc)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		run("forward", func() { Gemm(false, false, px, oc, k, col, k, w, oc, out, oc, false, Epilogue{}, &ws) })
		run("weights", func() { Gemm(true, false, k, oc, px, col, k, dz, oc, dw, oc, true, Epilogue{}, &ws) })
		run("input", func() { GemmPacked(false, px, dz, oc, &wt, dcol, k, false, Epilogue{}, &ws) })
	}
}

// BenchmarkPackTransposed times packing the transpose of a 1152 x 128
// kernel, as the input gradient of the presets' deepest convolution does
// before every backward pass.
func BenchmarkPackTransposed(b *testing.B) {
	const k, n = 128, 1152
	w := randSlice(rand.New(rand.NewPCG(1, 2)), k*n)
	var p PackedB
	for i := 0; i < b.N; i++ {
		p.Pack(true, k, n, w, k)
	}
	b.ReportMetric(float64(b.N*k*n*4)/b.Elapsed().Seconds()/1e9, "GB/s")
}
