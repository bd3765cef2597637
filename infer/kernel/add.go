package kernel

import (
	"fmt"
	"math"
)

// AddLeftShift is the headroom TFLite's int8 Add gives both inputs before
// rescaling them to a common scale: 20 bits.
const AddLeftShift = 20

// AddParams are the fixed-point constants of an int8 elementwise Add
// (TFLite's reference Add): each input, offset by its zero point and
// shifted left by AddLeftShift, is scaled to twice the larger input scale
// by its own multiplier; the sum is scaled to the output.
type AddParams struct {
	In1Zero, In2Zero  int32
	In1Mult, In1Shift int32 // Q31 multiplier and shift <= 0
	In2Mult, In2Shift int32
	OutMult, OutShift int32
	OutZero           int32
	ActMin, ActMax    int32 // fused ReLU/ReLU6 as a clamp
}

// NewAddParams derives AddParams from the scales and zero points of the two
// inputs and the output (TFLite's PrepareGeneralSubOp): twiceMax = 2 *
// max(s1, s2), inputs scaled by s/twiceMax, the sum by twiceMax /
// (2^AddLeftShift * sOut). Every real multiplier must be below 1, which
// holds unless the output scale is 2^-20 times the inputs'.
func NewAddParams(s1 float64, z1 int32, s2 float64, z2 int32, sOut float64, zOut, actMin, actMax int32) (AddParams, error) {
	for _, s := range []float64{s1, s2, sOut} {
		if !(s > 0) || math.IsInf(s, 0) {
			return AddParams{}, fmt.Errorf("add: scale %v is not a positive number", s)
		}
	}
	for _, z := range []int32{z1, z2, zOut, actMin, actMax} {
		if z < -128 || z > 127 {
			return AddParams{}, fmt.Errorf("add: zero point or clamp %d outside int8", z)
		}
	}
	if actMin > actMax {
		return AddParams{}, fmt.Errorf("add: clamp [%d, %d] is empty", actMin, actMax)
	}
	twiceMax := 2 * max(s1, s2)
	realOut := twiceMax / (float64(int64(1)<<AddLeftShift) * sOut)
	if realOut >= 1 {
		return AddParams{}, fmt.Errorf("add: output scale %v too small for input scales %v and %v", sOut, s1, s2)
	}
	p := AddParams{In1Zero: z1, In2Zero: z2, OutZero: zOut, ActMin: actMin, ActMax: actMax}
	p.In1Mult, p.In1Shift = QuantizeMultiplier(s1 / twiceMax)
	p.In2Mult, p.In2Shift = QuantizeMultiplier(s2 / twiceMax)
	p.OutMult, p.OutShift = QuantizeMultiplier(realOut)
	return p, nil
}

// Add writes the int8 sum of a and b (same length as out) rescaled by p,
// as TFLite's reference int8 Add:
//
//	x = MulQ((a - In1Zero) << 20, In1Mult, In1Shift) + MulQ((b - In2Zero) << 20, In2Mult, In2Shift)
//	out = clamp(MulQ(x, OutMult, OutShift) + OutZero, ActMin, ActMax)
func Add(out, a, b []int8, p *AddParams) {
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		x := MulQ((int32(a[i])-p.In1Zero)<<AddLeftShift, p.In1Mult, p.In1Shift)
		y := MulQ((int32(b[i])-p.In2Zero)<<AddLeftShift, p.In2Mult, p.In2Shift)
		v := MulQ(x+y, p.OutMult, p.OutShift) + p.OutZero
		out[i] = int8(min(max(v, p.ActMin), p.ActMax))
	}
}
