package kernel

import "math"

// gemmGeneric is the reference GEMM: the specification every optimised
// implementation must match bit for bit.
func gemmGeneric(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	kp := PaddedK(k)
	for i := 0; i < m; i++ {
		row := a[i*lda : i*lda+k]
		for j := 0; j < n; j++ {
			var acc int32
			for t0 := 0; t0 < k; t0 += KStep {
				w := packed[packedIndex(j, t0, kp):][:KStep]
				for t, x := range row[t0:min(t0+KStep, k)] {
					acc += int32(x) * int32(w[t])
				}
			}
			out[i*ldc+j] = RequantOne(acc+rq.Bias[j], rq.Multiplier[j], rq.Shift[j], rq)
		}
	}
}

// RequantOne applies the fixed-point multiplier, output zero point and clamp
// to one accumulator (bias already added).
func RequantOne(acc, mult, shift int32, rq *Requant) int8 {
	v := MulQ(acc, mult, shift) + rq.OutZero
	v = max(v, rq.ActMin)
	v = min(v, rq.ActMax)
	return int8(v)
}

// MulQ is TFLite's MultiplyByQuantizedMultiplier: x * mult * 2^shift / 2^31
// with gemmlowp's rounding.
func MulQ(x, mult, shift int32) int32 {
	left, right := max(shift, 0), max(-shift, 0)
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x*(1<<left), mult), right)
}

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2*a*b,
// rounded to nearest (gemmlowp; the NEON SQRDMULH instruction).
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT divides by 2^exponent rounding half away from zero
// (gemmlowp).
func RoundingDivideByPOT(x int32, exponent int32) int32 {
	mask := int32(1)<<exponent - 1
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	r := x >> exponent
	if remainder > threshold {
		r++
	}
	return r
}

// QuantizeMultiplier splits a positive real multiplier into a Q31
// multiplier and a shift (TFLite's QuantizeMultiplier).
func QuantizeMultiplier(real float64) (mult, shift int32) {
	if real == 0 {
		return 0, 0
	}
	q, exp := math.Frexp(real) // real = q * 2^exp, q in [0.5, 1)
	qf := math.Round(q * (1 << 31))
	if qf == 1<<31 {
		qf /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0
	}
	return int32(qf), int32(exp)
}
