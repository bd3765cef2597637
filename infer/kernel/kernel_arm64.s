//go:build arm64 && !purego

#include "textflag.h"

#include "neon_arm64.h"

// Register plan of the 4x4 tile kernels: V0-V3 hold 16 k of 4 A rows,
// V4-V7 16 k of 4 weight channels, V16+4i+j accumulates row i x channel j
// (4 int32 partial sums each), V8-V15 are temporaries.

// NEONROW multiplies A row a (register number) with the 4 weight vectors
// into int16 pairs t0-t3 (SMULL low halves, SMLAL2 high halves) and
// accumulates them pairwise into acc0-acc3 with OP (SADALP, or SADDLP for
// the first step).
#define NEONROW(OP, a, t0, t1, t2, t3, acc0, acc1, acc2, acc3) \
	SMULL_8H(t0, a, 4); SMULL_8H(t1, a, 5); SMULL_8H(t2, a, 6); SMULL_8H(t3, a, 7); \
	SMLAL2_8H(t0, a, 4); SMLAL2_8H(t1, a, 5); SMLAL2_8H(t2, a, 6); SMLAL2_8H(t3, a, 7); \
	OP(acc0, t0); OP(acc1, t1); OP(acc2, t2); OP(acc3, t3)

// NEONSTEP is one KStep of the 4x4 tile on the ARMv8.0 path.
#define NEONSTEP(OP) \
	NEONROW(OP, 0, 8, 9, 10, 11, 16, 17, 18, 19); \
	NEONROW(OP, 1, 12, 13, 14, 15, 20, 21, 22, 23); \
	NEONROW(OP, 2, 8, 9, 10, 11, 24, 25, 26, 27); \
	NEONROW(OP, 3, 12, 13, 14, 15, 28, 29, 30, 31)

// SDOTROW accumulates A row a times the 4 weight vectors.
#define SDOTROW(a, acc0, acc1, acc2, acc3) \
	SDOT_4S(acc0, a, 4); SDOT_4S(acc1, a, 5); SDOT_4S(acc2, a, 6); SDOT_4S(acc3, a, 7)

// SDOTSTEP is one KStep of the 4x4 tile on the dot product path.
#define SDOTSTEP \
	SDOTROW(0, 16, 17, 18, 19); SDOTROW(1, 20, 21, 22, 23); \
	SDOTROW(2, 24, 25, 26, 27); SDOTROW(3, 28, 29, 30, 31)

// REDUCE4 sums the 4 lanes of each of A0-A3 into the lanes of D (channel j
// in lane j), using T0 and T1.
#define REDUCE4(A0, A1, A2, A3, T0, T1, D) \
	VADDP A1.S4, A0.S4, T0.S4; VADDP A3.S4, A2.S4, T1.S4; VADDP T1.S4, T0.S4, D.S4

// Tile epilogue. REDUCEROWS sums each accumulator's 4 lanes: V0-V3 get
// rows 0-3, channel j in lane j. LOADRQ loads the block's bias, multiplier,
// left shift and right shift (<= 0) into V12-V15 and the broadcast zero
// point, min and max into V16-V18. The REQ steps then apply gemmlowp's
// MultiplyByQuantizedMultiplier, add the zero point and clamp, in place on
// V0-V3 with temporaries V4-V7.
#define REDUCEROWS \
	REDUCE4(V16, V17, V18, V19, V12, V13, V0); \
	REDUCE4(V20, V21, V22, V23, V12, V13, V1); \
	REDUCE4(V24, V25, V26, V27, V12, V13, V2); \
	REDUCE4(V28, V29, V30, V31, V12, V13, V3)

#define LOADRQ \
	VLD1 (R7), [V12.S4, V13.S4, V14.S4, V15.S4]; \
	VLD1 (R8), [V16.S4, V17.S4, V18.S4]

#define REQBIAS \
	VADD V12.S4, V0.S4, V0.S4; VADD V12.S4, V1.S4, V1.S4; VADD V12.S4, V2.S4, V2.S4; VADD V12.S4, V3.S4, V3.S4

// REQMUL: x << left (wrapping, skipped when flag bit 0 of R19 is clear),
// then SQRDMULH by the multiplier.
#define REQMUL(noleft) \
	TBZ $0, R19, noleft; \
	SSHL_4S(0, 0, 14); SSHL_4S(1, 1, 14); SSHL_4S(2, 2, 14); SSHL_4S(3, 3, 14); \
noleft: \
	SQRDMULH_4S(0, 0, 13); SQRDMULH_4S(1, 1, 13); SQRDMULH_4S(2, 2, 13); SQRDMULH_4S(3, 3, 13)

// REQSHIFT: rounding right shift. SRSHL rounds halves up; subtracting 1
// from negative values first (AND with the shift's sign, SSHR #31, SQADD)
// makes it round halves away from zero like RoundingDivideByPOT. The two
// differ only on negative values, which a clamp at or above the zero point
// (a fused ReLU) maps to ActMin either way, so Go clears flag bit 1 and the
// fixup is skipped then.
#define REQSHIFT(nofixup) \
	TBZ $1, R19, nofixup; \
	VAND V15.B16, V0.B16, V4.B16; VAND V15.B16, V1.B16, V5.B16; VAND V15.B16, V2.B16, V6.B16; VAND V15.B16, V3.B16, V7.B16; \
	SSHR31_4S(4, 4); SSHR31_4S(5, 5); SSHR31_4S(6, 6); SSHR31_4S(7, 7); \
	SQADD_4S(0, 0, 4); SQADD_4S(1, 1, 5); SQADD_4S(2, 2, 6); SQADD_4S(3, 3, 7); \
nofixup: \
	SRSHL_4S(0, 0, 15); SRSHL_4S(1, 1, 15); SRSHL_4S(2, 2, 15); SRSHL_4S(3, 3, 15)

// REQOUT adds the zero point, clamps and narrows: V26 ends up with row i's
// 4 channels in its 32-bit lane i.
#define REQOUT \
	VADD V16.S4, V0.S4, V0.S4; VADD V16.S4, V1.S4, V1.S4; VADD V16.S4, V2.S4, V2.S4; VADD V16.S4, V3.S4, V3.S4; \
	SMAX_4S(0, 0, 17); SMAX_4S(1, 1, 17); SMAX_4S(2, 2, 17); SMAX_4S(3, 3, 17); \
	SMIN_4S(0, 0, 18); SMIN_4S(1, 1, 18); SMIN_4S(2, 2, 18); SMIN_4S(3, 3, 18); \
	VUZP1 V1.H8, V0.H8, V24.H8; VUZP1 V3.H8, V2.H8, V25.H8; VUZP1 V25.B16, V24.B16, V26.B16

// TILESTORE stores the tile's rows (R13 of them left) at R12, ldc R1 apart,
// then continues at mblock or, after the last rows, at nextblock.
#define TILESTORE(mblock, partial, nextblock) \
	CMP  $4, R13; \
	BLT  partial; \
	VST1.P V26.S[0], (R12)(R1); VST1.P V26.S[1], (R12)(R1); \
	VST1.P V26.S[2], (R12)(R1); VST1.P V26.S[3], (R12)(R1); \
	SUBS $4, R13, R13; \
	BNE  mblock; \
	B    nextblock; \
partial: \
	VST1.P V26.S[0], (R12)(R1); \
	CMP  $2, R13; \
	BLT  nextblock; \
	VST1.P V26.S[1], (R12)(R1); \
	CMP  $3, R13; \
	BLT  nextblock; \
	VST1 V26.S[2], (R12)

// TILEARGS loads the arguments shared by both tile kernels; R19 holds the
// requantisation flags.
#define TILEARGS \
	MOVD out+0(FP), R0; \
	MOVD ldc+8(FP), R1; \
	MOVD a+16(FP), R2; \
	MOVD rows+24(FP), R3; \
	MOVD w+32(FP), R4; \
	MOVD nblocks+40(FP), R5; \
	MOVD kp+48(FP), R6; \
	MOVD p+56(FP), R7; \
	MOVD q+64(FP), R8; \
	MOVD 48(R8), R19; \
	LSR  $4, R6, R9; \
	LSL  $2, R6, R10

// NEONLOADSTEP and SDOTLOADSTEP load one KStep of A (R11) and weights (R14)
// and multiply-accumulate it.
#define NEONLOADSTEP \
	VLD1.P 64(R11), [V0.B16, V1.B16, V2.B16, V3.B16]; \
	VLD1.P 64(R14), [V4.B16, V5.B16, V6.B16, V7.B16]; \
	NEONSTEP(SADALP_4S)

#define SDOTLOADSTEP \
	VLD1.P 64(R11), [V0.B16, V1.B16, V2.B16, V3.B16]; \
	VLD1.P 64(R14), [V4.B16, V5.B16, V6.B16, V7.B16]; \
	SDOTSTEP

// ROWEPILOGUE reduces V16-V19 (one row, 4 channels), requantises the
// result and stores its 4 bytes at R0 (post-incremented).
#define ROWEPILOGUE \
	REDUCE4(V16, V17, V18, V19, V20, V21, V8); \
	VLD1 (R7), [V12.S4, V13.S4, V14.S4, V15.S4]; \
	VLD1 (R8), [V16.S4, V17.S4, V18.S4]; \
	VADD V12.S4, V8.S4, V8.S4; \
	SSHL_4S(8, 8, 14); \
	SQRDMULH_4S(8, 8, 13); \
	VAND V15.B16, V8.B16, V20.B16; \
	SSHR31_4S(20, 20); \
	SQADD_4S(8, 8, 20); \
	SRSHL_4S(8, 8, 15); \
	VADD V16.S4, V8.S4, V8.S4; \
	SMAX_4S(8, 8, 17); \
	SMIN_4S(8, 8, 18); \
	VUZP1 V8.H8, V8.H8, V9.H8; \
	VUZP1 V9.B16, V9.B16, V10.B16; \
	VST1.P V10.S[0], 4(R0)

// ROWARGS loads the arguments shared by both row kernels.
#define ROWARGS \
	MOVD out+0(FP), R0; \
	MOVD a+8(FP), R2; \
	MOVD w+16(FP), R4; \
	MOVD nblocks+24(FP), R5; \
	MOVD kp+32(FP), R6; \
	MOVD p+40(FP), R7; \
	MOVD q+48(FP), R8; \
	LSR  $4, R6, R9

// func gemmTilesNEON(out *int8, ldc int, a *int8, rows int, w *int8, nblocks, kp int, p *blockParams, q *outParams)
// ARMv8.0: SMULL+SMLAL2 into int16 pairs, SADALP into int32. The first
// KStep initialises the accumulators with SADDLP; the rest go two at a time.
TEXT ·gemmTilesNEON(SB), NOSPLIT, $0-72
	TILEARGS

nblockN:
	MOVD R2, R11
	MOVD R0, R12
	MOVD R3, R13

mblockN:
	MOVD   R4, R14
	SUB    $1, R9, R15
	VLD1.P 64(R11), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 64(R14), [V4.B16, V5.B16, V6.B16, V7.B16]
	NEONSTEP(SADDLP_4S)
	TBZ    $0, R15, pairsN
	NEONLOADSTEP
	SUB    $1, R15, R15

pairsN:
	LSR $1, R15, R15
	CBZ R15, kdoneN

kloopN:
	NEONLOADSTEP
	NEONLOADSTEP
	SUBS $1, R15, R15
	BNE  kloopN

kdoneN:
	REDUCEROWS
	LOADRQ
	REQBIAS
	REQMUL(noleftN)
	REQSHIFT(nofixupN)
	REQOUT
	TILESTORE(mblockN, partialN, nextN)

nextN:
	ADD  R10, R4, R4
	ADD  $128, R7, R7
	ADD  $4, R0, R0
	SUBS $1, R5, R5
	BNE  nblockN
	RET

// func gemmTilesSDOT(out *int8, ldc int, a *int8, rows int, w *int8, nblocks, kp int, p *blockParams, q *outParams)
// ARMv8.2 dot product: SDOT into int32 accumulators that start with the
// bias in lane 0 (V8-V11 hold the block's bias lanes), KSteps two at a time.
TEXT ·gemmTilesSDOT(SB), NOSPLIT, $0-72
	TILEARGS

nblockS:
	MOVD R2, R11
	MOVD R0, R12
	MOVD R3, R13
	ADD  $64, R7, R20
	VLD1 (R20), [V8.S4, V9.S4, V10.S4, V11.S4]

mblockS:
	MOVD R4, R14
	MOVD R9, R15
	VMOV V8.B16, V16.B16
	VMOV V9.B16, V17.B16
	VMOV V10.B16, V18.B16
	VMOV V11.B16, V19.B16
	VMOV V8.B16, V20.B16
	VMOV V9.B16, V21.B16
	VMOV V10.B16, V22.B16
	VMOV V11.B16, V23.B16
	VMOV V8.B16, V24.B16
	VMOV V9.B16, V25.B16
	VMOV V10.B16, V26.B16
	VMOV V11.B16, V27.B16
	VMOV V8.B16, V28.B16
	VMOV V9.B16, V29.B16
	VMOV V10.B16, V30.B16
	VMOV V11.B16, V31.B16
	TBZ  $0, R15, pairsS
	SDOTLOADSTEP
	SUB  $1, R15, R15

pairsS:
	LSR $1, R15, R15
	CBZ R15, kdoneS

kloopS:
	SDOTLOADSTEP
	SDOTLOADSTEP
	SUBS $1, R15, R15
	BNE  kloopS

kdoneS:
	REDUCEROWS
	LOADRQ
	REQMUL(noleftS)
	REQSHIFT(nofixupS)
	REQOUT
	TILESTORE(mblockS, partialS, nextS)

nextS:
	ADD  R10, R4, R4
	ADD  $128, R7, R7
	ADD  $4, R0, R0
	SUBS $1, R5, R5
	BNE  nblockS
	RET

// func gemmRowNEON(out *int8, a *int8, w *int8, nblocks, kp int, p *blockParams, q *outParams)
// One A row against nblocks blocks of 4 channels (ARMv8.0).
TEXT ·gemmRowNEON(SB), NOSPLIT, $0-56
	ROWARGS

rblockN:
	MOVD   R2, R11
	SUB    $1, R9, R15
	VLD1.P 16(R11), [V0.B16]
	VLD1.P 64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	NEONROW(SADDLP_4S, 0, 8, 9, 10, 11, 16, 17, 18, 19)
	CBZ    R15, rdoneN

rloopN:
	VLD1.P 16(R11), [V0.B16]
	VLD1.P 64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	NEONROW(SADALP_4S, 0, 8, 9, 10, 11, 16, 17, 18, 19)
	SUBS   $1, R15, R15
	BNE    rloopN

rdoneN:
	ROWEPILOGUE
	ADD  $128, R7, R7
	SUBS $1, R5, R5
	BNE  rblockN
	RET

// func gemmRowSDOT(out *int8, a *int8, w *int8, nblocks, kp int, p *blockParams, q *outParams)
// One A row against nblocks blocks of 4 channels (dot product).
TEXT ·gemmRowSDOT(SB), NOSPLIT, $0-56
	ROWARGS

rblockS:
	MOVD R2, R11
	MOVD R9, R15
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

rloopS:
	VLD1.P 16(R11), [V0.B16]
	VLD1.P 64(R4), [V4.B16, V5.B16, V6.B16, V7.B16]
	SDOTROW(0, 16, 17, 18, 19)
	SUBS   $1, R15, R15
	BNE    rloopS

	ROWEPILOGUE
	ADD  $128, R7, R7
	SUBS $1, R5, R5
	BNE  rblockS
	RET

// func gatherNEON(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int)
// im2col from padded input rows: for each of npix pixels (dst kp apart, src
// step apart) copies kh segments of seg bytes (src pitch apart) one after
// the other. It copies whole 16-byte (seg <= 16) or 64-byte chunks, so it
// reads and writes up to 63 bytes past a segment; later segments and
// pixels overwrite the excess and bytes past k meet zero weights.
TEXT ·gatherNEON(SB), NOSPLIT, $0-64
	MOVD dst+0(FP), R0
	MOVD kp+8(FP), R1
	MOVD src+16(FP), R2
	MOVD pitch+24(FP), R3
	MOVD step+32(FP), R4
	MOVD npix+40(FP), R5
	MOVD kh+48(FP), R6
	MOVD seg+56(FP), R7
	CMP  $16, R7
	BGT  wide

narrowpix:
	MOVD R2, R8
	MOVD R0, R9
	MOVD R6, R10

narrowseg:
	VLD1.P (R8)(R3), [V0.B16]
	VST1.P [V0.B16], (R9)(R7)
	SUBS   $1, R10, R10
	BNE    narrowseg
	ADD    R4, R2, R2
	ADD    R1, R0, R0
	SUBS   $1, R5, R5
	BNE    narrowpix
	RET

wide:
	ADD $63, R7, R11
	LSR $6, R11, R11

widepix:
	MOVD R2, R8
	MOVD R0, R9
	MOVD R6, R10

wideseg:
	MOVD R8, R12
	MOVD R9, R13
	MOVD R11, R14

widechunk:
	VLD1.P 64(R12), [V0.B16, V1.B16, V2.B16, V3.B16]
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R13)
	SUBS   $1, R14, R14
	BNE    widechunk
	ADD    R3, R8, R8
	ADD    R7, R9, R9
	SUBS   $1, R10, R10
	BNE    wideseg
	ADD    R4, R2, R2
	ADD    R1, R0, R0
	SUBS   $1, R5, R5
	BNE    widepix
	RET

// func reblockNEON(dst *int8, src *int8, kp, nblocks int)
// Interleaves nblocks groups of 4 row-major rows (kp bytes each) into tile
// order: for each KStep, 16 bytes of row 0, 1, 2 and 3.
TEXT ·reblockNEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD kp+16(FP), R2
	MOVD nblocks+24(FP), R3
	LSR  $4, R2, R4

rbblock:
	MOVD R1, R5
	ADD  R2, R5, R6
	ADD  R2, R6, R7
	ADD  R2, R7, R8
	MOVD R4, R9

rbstep:
	VLD1.P 16(R5), [V0.B16]
	VLD1.P 16(R6), [V1.B16]
	VLD1.P 16(R7), [V2.B16]
	VLD1.P 16(R8), [V3.B16]
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R0)
	SUBS   $1, R9, R9
	BNE    rbstep
	MOVD   R8, R1
	SUBS   $1, R3, R3
	BNE    rbblock
	RET

// func maxPool2NEON(out *int8, in *int8, ow, c, stride, w int)
// One output row of a 2x2 MaxPool; in points at the first of its two input
// rows (w pixels of c >= 16 channels). Channels go 16 at a time; when c is
// not a multiple of 16 the last block overlaps the one before it.
TEXT ·maxPool2NEON(SB), NOSPLIT, $0-48
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD ow+16(FP), R2
	MOVD c+24(FP), R3
	MOVD stride+32(FP), R4
	MOVD w+40(FP), R5
	MUL  R3, R4, R4        // bytes between pixels
	MUL  R3, R5, R5        // bytes between rows
	SUB  $16, R3, R6       // offset of the last channel block
	ADD  R3, R1, R7        // pixel (0, 1)
	ADD  R5, R1, R8        // pixel (1, 0)
	ADD  R3, R8, R9        // pixel (1, 1)

mppix:
	MOVD $0, R10

mpblock:
	CMP   R6, R10
	CSEL  GT, R6, R10, R10
	LDRQ_REG(0, 1, 10)
	LDRQ_REG(1, 7, 10)
	LDRQ_REG(2, 8, 10)
	LDRQ_REG(3, 9, 10)
	SMAX_16B(0, 0, 1)
	SMAX_16B(2, 2, 3)
	SMAX_16B(0, 0, 2)
	STRQ_REG(0, 0, 10)
	ADD   $16, R10, R10
	CMP   R3, R10
	BLT   mpblock
	ADD   R3, R0, R0
	ADD   R4, R1, R1
	ADD   R4, R7, R7
	ADD   R4, R8, R8
	ADD   R4, R9, R9
	SUBS  $1, R2, R2
	BNE   mppix
	RET
