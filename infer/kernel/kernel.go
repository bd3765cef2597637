// Package kernel holds the int8 compute kernels of the runtime: a packed
// int8 GEMM with fused requantisation (the core of Conv2D via im2col and of
// Dense). The pure-Go versions in *_generic.go are the specification; faster
// per-architecture versions are chosen once at init and must agree with them
// bit for bit.
package kernel

// Requant maps int32 accumulators of n output channels to int8 outputs:
//
//	out[c] = clamp(OutZero + MulQ(acc + Bias[c], Multiplier[c], Shift[c]), ActMin, ActMax)
//
// with MulQ the gemmlowp fixed-point multiply of MultiplyByQuantizedMultiplier.
type Requant struct {
	Bias       []int32 // per channel, input zero point already folded in
	Multiplier []int32 // Q31 fixed-point, in [2^30, 2^31)
	Shift      []int32 // TFLite convention: > 0 shifts left, < 0 shifts right
	OutZero    int32
	ActMin     int32
	ActMax     int32
}

// KStep is the granularity of the reduction dimension in packed weights and
// in GEMM input rows: rows are padded with zeros to a multiple of KStep.
const KStep = 16

// Layout names the packed weight layout; it is stored in int8 models so a
// model packed for another layout is repacked at load.
const Layout = "oc-k16"

// PaddedK is k rounded up to a multiple of KStep.
func PaddedK(k int) int { return (k + KStep - 1) / KStep * KStep }

// PackedLen is the number of int8 values Pack writes for n channels of k weights.
func PackedLen(n, k int) int { return n * PaddedK(k) }

// Pack copies w (n rows of k weights, row-major [n][k]) into dst in Layout.
// dst must hold PackedLen(n, k) values.
func Pack(dst, w []int8, n, k int) {
	kp := PaddedK(k)
	for j := 0; j < n; j++ {
		row := dst[j*kp : (j+1)*kp]
		copy(row, w[j*k:(j+1)*k])
		clear(row[k:])
	}
}

// GEMM computes, for each of m input rows a[i*lda : i*lda+PaddedK(k)] and each
// of n packed weight rows, the int32 dot product and writes the requantised
// int8 result to out[i*ldc+j]. Input rows must be readable up to PaddedK(k);
// their values past k are multiplied by zero weights.
func GEMM(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	gemm(out, ldc, a, lda, m, n, k, packed, rq)
}

// Impl names the implementation GEMM dispatches to.
func Impl() string { return impl }

var (
	gemm = gemmGeneric
	impl = "generic"
)
