//go:build amd64 && !purego

#include "textflag.h"

// dwRoundHalf<> is 2^30 in each 64-bit lane: the rounding term of
// SaturatingRoundingDoublingHighMul.
DATA dwRoundHalf<>+0(SB)/8, $0x40000000
DATA dwRoundHalf<>+8(SB)/8, $0x40000000
DATA dwRoundHalf<>+16(SB)/8, $0x40000000
DATA dwRoundHalf<>+24(SB)/8, $0x40000000
GLOBL dwRoundHalf<>(SB), RODATA|NOPTR, $32

// Register plan of dwRow3x3AVX2, for one group of 16 channels: Y0 and Y1
// accumulate the low and high lanes (see dwLaneChannel) in int32, Y2-Y5
// and Y8-Y10 are temporaries, Y6 holds the output zero point and Y7
// dwRoundHalf<>. SI, R8 and R9 point at the window in rows 0, 1 and 2;
// R10 is the pixel pitch, so (SI)(R10*2) is the window's third column.
// DX points at the group's weights (dwPairs pairs of 2 x 32 bytes), BX
// at its dwGroupAVX.

// PAIR adds the products of taps a and b (inputs at A and B, weights of
// pair p at W) to the accumulators: both inputs widened to int16,
// interleaved per channel, multiplied and summed in pairs by VPMADDWD.
#define PAIR(A, B, W) \
	VPMOVSXBW  A, Y2; \
	VPMOVSXBW  B, Y3; \
	VPUNPCKLWD Y3, Y2, Y4; \
	VPUNPCKHWD Y3, Y2, Y5; \
	VPMADDWD   W(DX), Y4, Y4; \
	VPMADDWD   (W+32)(DX), Y5, Y5; \
	VPADDD     Y4, Y0, Y0; \
	VPADDD     Y5, Y1, Y1

// REQUANT applies Requant to the 8 lanes of X (bias already in) with the
// constants at the given offsets from BX, using T1-T3:
//   x = x << left                                  (wrapping)
//   x = floor((x*mult + 2^30) / 2^31)              (SaturatingRoundingDoublingHighMul)
//   x = (x >> right) + (x&mask > half + (x < 0))   (RoundingDivideByPOT)
//   x = x + zero
// The high multiply takes the 64-bit products of the even lanes (VPMULDQ)
// and of the odd lanes shifted down, and keeps bits 31-62 of each sum; it
// cannot overflow because NewDepthwiseConv rejects negative multipliers.
#define REQUANT(X, LEFT, MULT, RIGHT, MASK, HALF, T1, T2, T3) \
	VPSLLVD  LEFT(BX), X, X; \
	VMOVDQU  MULT(BX), T1; \
	VPMULDQ  T1, X, T2; \
	VPSRLQ   $32, X, T3; \
	VPSRLQ   $32, T1, T1; \
	VPMULDQ  T1, T3, T3; \
	VPADDQ   Y7, T2, T2; \
	VPADDQ   Y7, T3, T3; \
	VPSRLQ   $31, T2, T2; \
	VPSLLQ   $1, T3, T3; \
	VPBLENDD $0xAA, T3, T2, X; \
	VPAND    MASK(BX), X, T1; \
	VPSRAD   $31, X, T2; \
	VMOVDQU  HALF(BX), T3; \
	VPSUBD   T2, T3, T3; \
	VPCMPGTD T3, T1, T1; \
	VPSRAVD  RIGHT(BX), X, X; \
	VPSUBD   T1, X, X; \
	VPADDD   Y6, X, X

// func dwRow3x3AVX2(out, row0, row1, row2 *int8, w *int16, consts *dwGroupAVX, args *dwArgs)
TEXT ·dwRow3x3AVX2(SB), NOSPLIT, $0-56
	MOVQ consts+40(FP), BX
	MOVQ w+32(FP), DX
	MOVQ args+48(FP), R15
	MOVQ 8(R15), R10         // pitch
	MOVQ 16(R15), R11        // step
	MOVQ 24(R15), AX         // groups
	MOVQ 32(R15), R14        // lastOff
	VPBROADCASTD 56(R15), Y6 // zero
	VMOVDQU dwRoundHalf<>(SB), Y7
	XORQ R12, R12            // 16 * group

group:
	MOVQ    R12, R13
	CMPQ    R13, R14
	CMOVQGT R14, R13         // first channel: min(16 * group, lastOff)
	MOVQ    out+0(FP), DI
	ADDQ    R13, DI
	MOVQ    row0+8(FP), SI
	ADDQ    R13, SI
	MOVQ    row1+16(FP), R8
	ADDQ    R13, R8
	MOVQ    row2+24(FP), R9
	ADDQ    R13, R9
	MOVQ    0(R15), CX       // ow

pix:
	VMOVDQU 0(BX), Y0
	VMOVDQU 32(BX), Y1
	PAIR((SI), (SI)(R10*1), 0)
	PAIR((SI)(R10*2), (R8), 64)
	PAIR((R8)(R10*1), (R8)(R10*2), 128)
	PAIR((R9), (R9)(R10*1), 192)
	PAIR((R9)(R10*2), (R9)(R10*2), 256)
	REQUANT(Y0, 128, 64, 192, 256, 320, Y2, Y3, Y4)
	REQUANT(Y1, 160, 96, 224, 288, 352, Y8, Y9, Y10)
	VPACKSSDW    Y1, Y0, Y2  // int16 channels 0-7 | 8-15, saturated
	VEXTRACTI128 $1, Y2, X3
	VPACKSSWB    X3, X2, X2  // int8 channels 0-15, saturated
	VPMAXSB      72(R15), X2, X2
	VPMINSB      88(R15), X2, X2
	VMOVDQU      X2, (DI)
	ADDQ         R10, DI
	ADDQ         R11, SI
	ADDQ         R11, R8
	ADDQ         R11, R9
	DECQ         CX
	JNZ          pix

	ADDQ $320, DX
	ADDQ $384, BX
	ADDQ $16, R12
	DECQ AX
	JNZ  group
	VZEROUPPER
	RET
