// Package kernel holds the int8 compute kernels of the runtime: a packed
// int8 GEMM with fused requantisation (the core of Conv2D via im2col and of
// Dense) and MaxPool. The pure-Go versions in *_generic.go are the
// specification; faster per-architecture versions are chosen once at init
// and must agree with them bit for bit.
package kernel

import "fmt"

// Requant maps int32 accumulators of n output channels to int8 outputs:
//
//	out[c] = clamp(OutZero + MulQ(acc + Bias[c], Multiplier[c], Shift[c]), ActMin, ActMax)
//
// with MulQ the gemmlowp fixed-point multiply of MultiplyByQuantizedMultiplier.
type Requant struct {
	Bias       []int32 // per channel, input zero point already folded in
	Multiplier []int32 // Q31 fixed-point, in [2^30, 2^31) (or 0)
	Shift      []int32 // TFLite convention: > 0 shifts left, < 0 shifts right; in [-31, 30]
	OutZero    int32
	ActMin     int32
	ActMax     int32

	// prepared is what Prepare derived for the active implementation.
	prepared prepared
}

// Prepare derives, once, what the active implementation's Conv needs
// besides rq's fields from the n channels of k weights they requantise
// (packed in Layout): the amd64 paths copy the weights into their kernel's
// order (AVX2 widened to int16), and the VNNI path, which adds unsigned
// activations, takes the excess away in its biases. Call it after
// setting the fields and before Conv on rq; without it Conv stays correct
// but may take a slower path. GEMM needs nothing prepared. Prepare
// allocates; Conv and GEMM do not.
func (rq *Requant) Prepare(packed []int8, n, k int) { active.prepare(rq, packed, n, k) }

// KStep is the granularity of the reduction dimension in packed weights and
// in GEMM input rows: rows are padded with zeros to a multiple of KStep.
const KStep = 16

// ChannelBlock is the number of output channels packed together. GEMM on a
// subset of channels must start at a multiple of ChannelBlock, at packed
// offset PackedLen(j0, k).
const ChannelBlock = 4

// Layout names the packed weight layout; it is stored in int8 models so a
// model packed for another layout is repacked at load. "oc4-k16": blocks of
// ChannelBlock output channels; within a block, for each KStep slice of the
// reduction, the 16 weights of channel 0, then of channel 1, 2 and 3. This
// is the order the NEON, SDOT and AVX2 kernels load (64 bytes per step);
// missing channels and k beyond the end are zeros.
const Layout = "oc4-k16"

// PaddedK is k rounded up to a multiple of KStep.
func PaddedK(k int) int { return (k + KStep - 1) / KStep * KStep }

// paddedN is n rounded up to a multiple of ChannelBlock.
func paddedN(n int) int { return (n + ChannelBlock - 1) / ChannelBlock * ChannelBlock }

// PackedLen is the number of int8 values Pack writes for n channels of k weights.
func PackedLen(n, k int) int { return paddedN(n) * PaddedK(k) }

// packedIndex is the position of weight t of channel j in Layout.
func packedIndex(j, t, kp int) int {
	return j/ChannelBlock*ChannelBlock*kp + t/KStep*ChannelBlock*KStep + j%ChannelBlock*KStep + t%KStep
}

// Pack copies w (n rows of k weights, row-major [n][k], values in
// [-127, 127]) into dst in Layout. dst must hold PackedLen(n, k) values.
// The ARMv8.0 kernel relies on the range: two products of an int8
// activation and a weight in [-127, 127] fit an int16.
func Pack(dst, w []int8, n, k int) {
	kp := PaddedK(k)
	clear(dst[:PackedLen(n, k)])
	for j := 0; j < n; j++ {
		for t, v := range w[j*k : (j+1)*k] {
			dst[packedIndex(j, t, kp)] = v
		}
	}
}

// GEMM computes, for each of m input rows a[i*lda : i*lda+PaddedK(k)] and each
// of n packed weight rows, the int32 dot product and writes the requantised
// int8 result to out[i*ldc+j]. Input rows should be readable up to
// PaddedK(k) (within cap(a) for the last row); their values past k are
// multiplied by zero weights. Otherwise GEMM falls back to the reference.
func GEMM(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	active.gemm(out, ldc, a, lda, m, n, k, packed, rq)
}

// Impl names the implementation the kernels dispatch to: "generic", "neon"
// (ARMv8.0 Advanced SIMD), "sdot" (ARMv8.2 dot product), "avx2" or
// "avx512vnni" (x86-64).
func Impl() string { return active.name }

// Available lists the implementations this CPU can run, the reference
// ("generic") first and the default last.
func Available() []string {
	names := make([]string, len(implementations))
	for i, impl := range implementations {
		names[i] = impl.name
	}
	return names
}

// Use makes the implementation called name the one every later call runs,
// for example to compare paths on one machine. Call it at start-up, before
// Prepare: constants prepared for another implementation are not used.
func Use(name string) error {
	for _, impl := range implementations {
		if impl.name == name {
			active = impl
			return nil
		}
	}
	return fmt.Errorf("kernel implementation %q: this CPU runs %v", name, Available())
}

// PreparedBytes is the memory Prepare set aside for rq: 0 where the kernels
// use the weights in place, their copy in the kernel's order and the
// per-channel constants on amd64.
func (rq *Requant) PreparedBytes() int { return rq.prepared.bytes() }

// implementation is one complete set of kernels.
type implementation struct {
	name    string
	gemm    func(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant)
	conv    func(out, in []int8, s *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int)
	maxPool func(out, in []int8, h, w, c, pool, stride, y0, y1 int)
	prepare func(rq *Requant, packed []int8, n, k int)
	// depthwise runs DepthwiseConv.Run.
	depthwise func(out, in []int8, d *DepthwiseConv, scratch []int8, y0, y1 int)
	// panel, when set, is the number of output rows of s whose patches conv
	// gathers at once (else 1) and the bytes it stores per value (else 1);
	// the scratch plan makes room for them.
	panel func(s *ConvShape) (rows, bytesPerValue int)
}

// prepareNothing is the prepare of implementations that use rq as it is.
func prepareNothing(*Requant, []int8, int, int) {}

var (
	generic = implementation{name: "generic", gemm: gemmGeneric, conv: convGeneric, maxPool: maxPoolGeneric, prepare: prepareNothing, depthwise: depthwiseGeneric}
	// implementations lists every set this CPU can run, generic first; the
	// per-architecture init appends to it and sets active to the best.
	implementations = []implementation{generic}
	active          = generic
)
