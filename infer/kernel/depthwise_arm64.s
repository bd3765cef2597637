//go:build arm64 && !purego

#include "textflag.h"

#include "neon_arm64.h"

// Register plan of dwRow3x3NEON, for one group of 16 channels: V0-V8 hold
// the 9 taps' weights, V9-V12 the multipliers, V13-V16 the right shifts
// (<= 0), V17 the output zero point (int32 lanes), V18-V19 ActMin and
// ActMax (bytes); V20-V23 accumulate channels 0-3, 4-7, 8-11, 12-15 in
// int32; V24-V27 hold input taps; V28-V31 int16 products.
//
// R26 points at the pixel's window in row 0; R8, R17 (1 and 2 pixels
// right), R15, R19, R20 (row 1) and R16, R21, R22 (row 2) are the other
// taps' offsets from it.

// MACPAIR adds the products of two taps (inputs xa, xb, weights wa, wb) to
// the accumulators: SMULL/SMLAL(2) sum the two int16 products per channel
// (|x*w| <= 128*127, so two fit an int16), SADDW(2) widen into int32.
#define MACPAIR(xa, xb, wa, wb, t0, t1) \
	SMULL_8H(t0, xa, wa); SMLAL_8H(t0, xb, wb); \
	SMULL2_8H(t1, xa, wa); SMLAL2_8H(t1, xb, wb); \
	SADDW_4S(20, 20, t0); SADDW2_4S(21, 21, t0); \
	SADDW_4S(22, 22, t1); SADDW2_4S(23, 23, t1)

// MACONE adds the products of one tap.
#define MACONE(x, w, t0, t1) \
	SMULL_8H(t0, x, w); SMULL2_8H(t1, x, w); \
	SADDW_4S(20, 20, t0); SADDW2_4S(21, 21, t0); \
	SADDW_4S(22, 22, t1); SADDW2_4S(23, 23, t1)

// PIXELMAC starts the accumulators at the biases (R5) and adds the 9 taps
// of the window at R26, then moves R26 to the next window (R9 bytes on).
#define PIXELMAC \
	VLD1 (R5), [V20.S4, V21.S4, V22.S4, V23.S4]; \
	VLD1 (R26), [V24.B16]; \
	LDRQ_REG(25, 26, 8); \
	LDRQ_REG(26, 26, 17); \
	LDRQ_REG(27, 26, 15); \
	MACPAIR(24, 25, 0, 1, 28, 29); \
	LDRQ_REG(24, 26, 19); \
	MACPAIR(26, 27, 2, 3, 30, 31); \
	LDRQ_REG(25, 26, 20); \
	LDRQ_REG(26, 26, 16); \
	LDRQ_REG(27, 26, 21); \
	MACPAIR(24, 25, 4, 5, 28, 29); \
	LDRQ_REG(24, 26, 22); \
	MACPAIR(26, 27, 6, 7, 30, 31); \
	MACONE(24, 8, 28, 29); \
	ADD R9, R26, R26

// REQMUL is SaturatingRoundingDoublingHighMul by the multipliers.
#define REQMUL \
	SQRDMULH_4S(20, 20, 9); SQRDMULH_4S(21, 21, 10); SQRDMULH_4S(22, 22, 11); SQRDMULH_4S(23, 23, 12)

// REQOUT shifts right rounding halves up (SRSHL), adds the zero point,
// narrows with saturation to int8, clamps and stores 16 bytes at R25, then
// moves R25 one pixel on. Saturating first and clamping after equals
// clamping the int32 because ActMin and ActMax lie within int8.
#define REQOUT \
	SRSHL_4S(20, 20, 13); SRSHL_4S(21, 21, 14); SRSHL_4S(22, 22, 15); SRSHL_4S(23, 23, 16); \
	VADD V17.S4, V20.S4, V20.S4; VADD V17.S4, V21.S4, V21.S4; \
	VADD V17.S4, V22.S4, V22.S4; VADD V17.S4, V23.S4, V23.S4; \
	SQXTN_4H(24, 20); SQXTN2_8H(24, 21); SQXTN_4H(25, 22); SQXTN2_8H(25, 23); \
	SQXTN_8B(26, 24); SQXTN2_16B(26, 25); \
	SMAX_16B(26, 26, 18); SMIN_16B(26, 26, 19); \
	VST1.P [V26.B16], (R25)(R8)

// func dwRow3x3NEON(out, row0, row1, row2 *int8, w *int8, consts *dwGroupNEON, args *dwArgs)
TEXT ·dwRow3x3NEON(SB), NOSPLIT, $0-56
	MOVD out+0(FP), R0
	MOVD row0+8(FP), R1
	MOVD row1+16(FP), R2
	MOVD row2+24(FP), R3
	MOVD w+32(FP), R4
	MOVD consts+40(FP), R5
	MOVD args+48(FP), R6
	MOVD 0(R6), R7         // ow
	MOVD 8(R6), R8         // pitch
	MOVD 16(R6), R9        // step
	MOVD 24(R6), R10       // groups
	MOVD 32(R6), R11       // lastOff
	MOVD 40(R6), R12       // wpitch
	MOVD 48(R6), R13       // flags
	ADD  $56, R6, R14
	VLD1 (R14), [V17.S4]
	ADD  $72, R6, R14
	VLD1 (R14), [V18.B16, V19.B16]
	SUB  R1, R2, R15       // row 1 - row 0
	SUB  R1, R3, R16       // row 2 - row 0
	LSL  $1, R8, R17
	ADD  R8, R15, R19
	ADD  R17, R15, R20
	ADD  R8, R16, R21
	ADD  R17, R16, R22
	MOVD $0, R23           // 16 * group

group:
	CMP  R11, R23
	CSEL GT, R11, R23, R24 // first channel: min(16 * group, lastOff)
	ADD  R24, R4, R3
	VLD1.P (R3)(R12), [V0.B16]
	VLD1.P (R3)(R12), [V1.B16]
	VLD1.P (R3)(R12), [V2.B16]
	VLD1.P (R3)(R12), [V3.B16]
	VLD1.P (R3)(R12), [V4.B16]
	VLD1.P (R3)(R12), [V5.B16]
	VLD1.P (R3)(R12), [V6.B16]
	VLD1.P (R3)(R12), [V7.B16]
	VLD1.P (R3)(R12), [V8.B16]
	ADD  $64, R5, R14
	VLD1 (R14), [V9.S4, V10.S4, V11.S4, V12.S4]
	ADD  $192, R5, R14
	VLD1 (R14), [V13.S4, V14.S4, V15.S4, V16.S4]
	ADD  $128, R5, R14     // left shifts
	ADD  R24, R1, R26
	ADD  R24, R0, R25
	MOVD R7, R2
	CBZ  R13, fastpix

// Any shift: left shifts (wrapping) before the multiply, and the rounding
// fixup: SRSHL rounds halves up; subtracting 1 from negative values first
// (AND with the shift's sign, SSHR #31, SQADD) rounds them away from zero
// like RoundingDivideByPOT. The two differ only on negative values, which
// a clamp at or above the zero point maps to ActMin either way, so Go
// leaves the fixup flag clear then.
pix:
	PIXELMAC
	TBZ  $0, R13, noleft
	VLD1 (R14), [V24.S4, V25.S4, V26.S4, V27.S4]
	SSHL_4S(20, 20, 24); SSHL_4S(21, 21, 25); SSHL_4S(22, 22, 26); SSHL_4S(23, 23, 27)

noleft:
	REQMUL
	TBZ  $1, R13, nofixup
	VAND V13.B16, V20.B16, V24.B16
	VAND V14.B16, V21.B16, V25.B16
	VAND V15.B16, V22.B16, V26.B16
	VAND V16.B16, V23.B16, V27.B16
	SSHR31_4S(24, 24); SSHR31_4S(25, 25); SSHR31_4S(26, 26); SSHR31_4S(27, 27)
	SQADD_4S(20, 20, 24); SQADD_4S(21, 21, 25); SQADD_4S(22, 22, 26); SQADD_4S(23, 23, 27)

nofixup:
	REQOUT
	SUBS $1, R2, R2
	BNE  pix
	B    next

// Right shifts only, no fixup (the usual fused ReLU/ReLU6 layer).
fastpix:
	PIXELMAC
	REQMUL
	REQOUT
	SUBS $1, R2, R2
	BNE  fastpix

next:
	ADD  $256, R5, R5
	ADD  $16, R23, R23
	SUBS $1, R10, R10
	BNE  group
	RET
