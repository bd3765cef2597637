package sgemm

import (
	"fmt"
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
			require.InDelta(t, w, g, 1e-4*(1+abs(w)), "%s: C[%d][%d]", what, i, j)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestGemm compares every transpose combination, with and without
// accumulation, against the naive product, on shapes that exercise the
// edge tiles and several KC and MC blocks, for every available kernel.
func TestGemm(t *testing.T) {
	kernels := map[string]func(int, []float32, []float32, []float32, int, bool){"generic": kernelGeneric, impl: kernel}
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 3}, {5, 3, 300}, {100, 33, 513}, {197, 40, 27}, {13, 129, 64}}
	for name, kern := range kernels {
		kernel = kern
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					what := fmt.Sprintf("%s m=%d n=%d k=%d ta=%v tb=%v", name, m, n, k, ta, tb)
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
					Gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, false, &ws)
					checkClose(t, want, c, ldc, m, n, what)

					// Accumulate onto the previous result: 2x the product.
					var pb PackedB
					pb.Pack(tb, k, n, b, ldb)
					GemmPacked(ta, m, a, lda, &pb, c, ldc, true, &ws)
					for i := range want {
						want[i] *= 2
					}
					checkClose(t, want, c, ldc, m, n, what+" packed+accumulate")
				}
			}
		}
	}
	kernel = kernels[impl]
}

// TestGemmZeroDepth checks that k == 0 clears C (or leaves it when accumulating).
func TestGemmZeroDepth(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	var ws Workspace
	Gemm(false, false, 2, 2, 0, nil, 0, nil, 2, c, 2, true, &ws)
	require.Equal(t, []float32{1, 2, 3, 4}, c)
	Gemm(false, false, 2, 2, 0, nil, 0, nil, 2, c, 2, false, &ws)
	require.Equal(t, []float32{0, 0, 0, 0}, c)
}

func benchGemm(b *testing.B, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	var ws Workspace
	var pb PackedB
	pb.Pack(false, k, n, bm, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		GemmPacked(false, m, a, k, &pb, c, n, false, &ws)
	}
	b.ReportMetric(float64(b.N)*float64(2*m*n*k)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm512(b *testing.B)      { benchGemm(b, 512, 128, 576) }
func BenchmarkGemmConv1x32(b *testing.B) { benchGemm(b, 1024, 32, 27) }
func BenchmarkGemmDeep1152(b *testing.B) { benchGemm(b, 64, 128, 1152) }
