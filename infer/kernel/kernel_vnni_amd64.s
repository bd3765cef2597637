//go:build amd64 && !purego

#include "textflag.h"

// Offsets in vnniParams (16 int32 lanes per field) and vnniOutParams.
#define V_BIAS 0
#define V_MULT 64
#define V_LEFT 128
#define V_RIGHT 192
#define V_MASK 256
#define V_HALF 320
#define V_SIZE 384
#define O_ZERO 0
#define O_MIN 4
#define O_MAX 8

// Constants broadcast from memory ({1to8} or {1to16}).
DATA vnniRound<>+0(SB)/8, $0x40000000 // 2^30: rounding term of the high multiply
GLOBL vnniRound<>(SB), RODATA|NOPTR, $8
DATA vnniMinInt<>+0(SB)/4, $0x80000000 // the one high-mul result that must saturate
GLOBL vnniMinInt<>(SB), RODATA|NOPTR, $4
DATA vnniOne<>+0(SB)/4, $1
GLOBL vnniOne<>(SB), RODATA|NOPTR, $4
DATA vnniFlip<>+0(SB)/4, $0x80808080 // XOR turns int8 into uint8 + 128
GLOBL vnniFlip<>(SB), RODATA|NOPTR, $4

// vnniOrder<> undoes the transposition of REDUCE: lane j takes channel j
// from lane 4*(j%4) + j/4.
DATA vnniOrder<>+0(SB)/4, $0
DATA vnniOrder<>+4(SB)/4, $4
DATA vnniOrder<>+8(SB)/4, $8
DATA vnniOrder<>+12(SB)/4, $12
DATA vnniOrder<>+16(SB)/4, $1
DATA vnniOrder<>+20(SB)/4, $5
DATA vnniOrder<>+24(SB)/4, $9
DATA vnniOrder<>+28(SB)/4, $13
DATA vnniOrder<>+32(SB)/4, $2
DATA vnniOrder<>+36(SB)/4, $6
DATA vnniOrder<>+40(SB)/4, $10
DATA vnniOrder<>+44(SB)/4, $14
DATA vnniOrder<>+48(SB)/4, $3
DATA vnniOrder<>+52(SB)/4, $7
DATA vnniOrder<>+56(SB)/4, $11
DATA vnniOrder<>+60(SB)/4, $15
GLOBL vnniOrder<>(SB), RODATA|NOPTR, $64

// Register plan of the tile kernel. A group is 16 output channels: 4
// packed blocks, each KStep of a block 64 bytes (channel c's 16 weights in
// 128-bit lane c). Per KStep a row's 16 bytes are broadcast to the 4 lanes
// and flipped to unsigned (VPXORD with 0x80), so one VPDPBUSD adds 4
// partial dot products per channel of a block: Z(4r+b) accumulates row r
// against block b, for up to 6 rows (Z0-Z23). Z24-Z27 hold the block
// weights, Z28 the flip constant, Z29-Z30 the rows. Flipping adds 128*sum(w)
// per channel, which the prepared bias takes away again.
//
// DX points at the group's weights for the current KStep; block b is
// b*R11 further (R12 = 3*R11). SI points at row 0's current KStep; rows are
// R9 apart (R10 = 3*R9, R13 = 5*R9). BX counts the KSteps down.

#define LOADW \
	VMOVDQU64 (DX), Z24; \
	VMOVDQU64 (DX)(R11*1), Z25; \
	VMOVDQU64 (DX)(R11*2), Z26; \
	VMOVDQU64 (DX)(R12*1), Z27

#define ROW(src, t, a0, a1, a2, a3) \
	VBROADCASTI32X4 src, t; \
	VPXORD          Z28, t, t; \
	VPDPBUSD        Z24, t, a0; \
	VPDPBUSD        Z25, t, a1; \
	VPDPBUSD        Z26, t, a2; \
	VPDPBUSD        Z27, t, a3

#define ZERO4(a0, a1, a2, a3) \
	VPXORD a0, a0, a0; \
	VPXORD a1, a1, a1; \
	VPXORD a2, a2, a2; \
	VPXORD a3, a3, a3

// REDUCE sums the 4 partial sums of each channel of one row (a0-a3: blocks
// 0-3) into a0, using Z24-Z27. Lane 4c+b of the result holds channel 4b+c;
// VPERMD with vnniOrder<> (in Z31) restores channel order.
#define REDUCE(a0, a1, a2, a3) \
	VPUNPCKLDQ  a1, a0, Z24; \
	VPUNPCKHDQ  a1, a0, Z25; \
	VPADDD      Z25, Z24, Z24; \
	VPUNPCKLDQ  a3, a2, Z25; \
	VPUNPCKHDQ  a3, a2, Z26; \
	VPADDD      Z26, Z25, Z25; \
	VPUNPCKLQDQ Z25, Z24, Z26; \
	VPUNPCKHQDQ Z25, Z24, Z27; \
	VPADDD      Z27, Z26, a0; \
	VPERMD      a0, Z31, a0

// REQUANT applies Requant to the 16 channels in x with the group constants
// at R8 and the output constants at CX, using Z24-Z27 and K1-K3 (K1 =
// 0xAAAA: odd lanes), and leaves the 16 int8 results in X0 (row 0's
// accumulators are free by then):
//   x = (acc + bias) << left                       (wrapping)
//   x = floor((x*mult + 2^30) / 2^31)              (SaturatingRoundingDoublingHighMul)
//   x = (x >> right) + (x&mask > half + (x < 0))   (RoundingDivideByPOT)
//   int8(min(max(x + zero, min), max))
// as the AVX2 kernel does (see kernel_amd64.s).
#define REQUANT(x) \
	VPADDD           V_BIAS(R8), x, x; \
	VPSLLVD          V_LEFT(R8), x, x; \
	VMOVDQU32        V_MULT(R8), Z24; \
	VPMULDQ          Z24, x, Z25; \
	VPSRLQ           $32, x, Z26; \
	VPSRLQ           $32, Z24, Z24; \
	VPMULDQ          Z24, Z26, Z26; \
	VPADDQ.BCST      vnniRound<>(SB), Z25, Z25; \
	VPADDQ.BCST      vnniRound<>(SB), Z26, Z26; \
	VPSRLQ           $31, Z25, Z25; \
	VPSLLQ           $1, Z26, Z26; \
	VPBLENDMD        Z26, Z25, K1, x; \
	VPCMPEQD.BCST    vnniMinInt<>(SB), x, K2; \
	VPSUBD.BCST      vnniOne<>(SB), x, K2, x; \
	VPANDD           V_MASK(R8), x, Z24; \
	VPSRAD           $31, x, Z25; \
	VMOVDQU32        V_HALF(R8), Z26; \
	VPSUBD           Z25, Z26, Z26; \
	VPCMPGTD         Z26, Z24, K3; \
	VPSRAVD          V_RIGHT(R8), x, x; \
	VPADDD.BCST      vnniOne<>(SB), x, K3, x; \
	VPADDD.BCST      O_ZERO(CX), x, x; \
	VPMAXSD.BCST     O_MIN(CX), x, x; \
	VPMINSD.BCST     O_MAX(CX), x, x; \
	VPMOVDB          x, X0

// func gemmTilesVNNI(out *int8, ldc int, a *int8, lda, rows int, w *int8, groups, kp int, p *vnniParams, q *vnniOutParams)
// For each of groups groups of 16 channels, the rows of A six at a time
// (then one at a time) against the group; 16 bytes per row and group, ldc
// apart.
TEXT ·gemmTilesVNNI(SB), NOSPLIT, $0-80
	MOVQ out+0(FP), DI
	MOVQ lda+24(FP), R9
	MOVQ kp+56(FP), R11
	MOVQ p+64(FP), R8
	MOVQ q+72(FP), CX
	SHLQ $2, R11                 // bytes of one block
	LEAQ (R11)(R11*2), R12
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R13
	VPBROADCASTD vnniFlip<>(SB), Z28
	VMOVDQU32    vnniOrder<>(SB), Z31
	MOVL         $0xAAAA, AX
	KMOVW        AX, K1

group:
	MOVQ a+16(FP), SI
	MOVQ rows+32(FP), R14
	MOVQ DI, AX                  // output of the tile

tile6:
	CMPQ R14, $6
	JLT  single
	MOVQ w+40(FP), DX
	MOVQ kp+56(FP), BX
	SHRQ $4, BX
	MOVQ SI, R15
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)
	ZERO4(Z8, Z9, Z10, Z11)
	ZERO4(Z12, Z13, Z14, Z15)
	ZERO4(Z16, Z17, Z18, Z19)
	ZERO4(Z20, Z21, Z22, Z23)

kloop6:
	LOADW
	ROW((R15), Z29, Z0, Z1, Z2, Z3)
	ROW((R15)(R9*1), Z30, Z4, Z5, Z6, Z7)
	ROW((R15)(R9*2), Z29, Z8, Z9, Z10, Z11)
	ROW((R15)(R10*1), Z30, Z12, Z13, Z14, Z15)
	ROW((R15)(R9*4), Z29, Z16, Z17, Z18, Z19)
	ROW((R15)(R13*1), Z30, Z20, Z21, Z22, Z23)
	ADDQ $64, DX
	ADDQ $16, R15
	DECQ BX
	JNZ  kloop6

	MOVQ ldc+8(FP), BX
	REDUCE(Z0, Z1, Z2, Z3)
	REQUANT(Z0)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	REDUCE(Z4, Z5, Z6, Z7)
	REQUANT(Z4)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	REDUCE(Z8, Z9, Z10, Z11)
	REQUANT(Z8)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	REDUCE(Z12, Z13, Z14, Z15)
	REQUANT(Z12)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	REDUCE(Z16, Z17, Z18, Z19)
	REQUANT(Z16)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	REDUCE(Z20, Z21, Z22, Z23)
	REQUANT(Z20)
	VMOVDQU X0, (AX)
	ADDQ    BX, AX
	LEAQ    (SI)(R9*4), SI
	LEAQ    (SI)(R9*2), SI
	SUBQ    $6, R14
	JMP     tile6

single:
	TESTQ R14, R14
	JZ    next
	MOVQ  w+40(FP), DX
	MOVQ  kp+56(FP), BX
	SHRQ  $4, BX
	MOVQ  SI, R15
	ZERO4(Z0, Z1, Z2, Z3)

kloop1:
	LOADW
	ROW((R15), Z29, Z0, Z1, Z2, Z3)
	ADDQ $64, DX
	ADDQ $16, R15
	DECQ BX
	JNZ  kloop1

	REDUCE(Z0, Z1, Z2, Z3)
	REQUANT(Z0)
	VMOVDQU X0, (AX)
	ADDQ    ldc+8(FP), AX
	ADDQ    R9, SI
	DECQ    R14
	JMP     single

next:
	ADDQ $16, DI
	MOVQ w+40(FP), DX
	LEAQ (DX)(R11*4), DX         // the next group's weights
	MOVQ DX, w+40(FP)
	ADDQ $V_SIZE, R8
	DECQ groups+48(FP)
	JNZ  group
	VZEROUPPER
	RET
