//go:build amd64 && !purego

#include "textflag.h"

// Offsets in vnniParams (16 int32 lanes per field) and vnniOutParams.
#define V_BIAS 0
#define V_MULT 64
#define V_MULTODD 128
#define V_LEFT 192
#define V_RIGHT 256
#define V_MASK 320
#define V_HALF 384
#define V_SIZE 448
#define O_ZERO 0
#define O_MIN 4
#define O_MAX 8
#define O_SINK 16

// Constants broadcast from memory.
DATA vnniRound<>+0(SB)/8, $0x40000000 // 2^30: rounding term of the high multiply
GLOBL vnniRound<>(SB), RODATA|NOPTR, $8
DATA vnniOne<>+0(SB)/4, $1
GLOBL vnniOne<>(SB), RODATA|NOPTR, $4
DATA vnniZero<>+0(SB)/8, $0
GLOBL vnniZero<>(SB), RODATA|NOPTR, $8

// Register plan of the tile kernel. Weights are in the VNNI order of
// Prepare: per group of 16 channels, per 4-deep step of the reduction, 64
// bytes with channel c's 4 weights in int32 lane c. Rows hold unsigned
// activations (a+128, flipped by the gather). A pair of groups (32
// channels) is computed for up to 12 rows at once: per step each row's 4
// bytes are broadcast to every lane, and VPDPBUSD adds them times the
// weights to Z(2r) (group 0) and Z(2r+1) (group 1). Z24-Z25 hold the
// step's weights, Z26-Z27 the rows. The flip adds 128*sum(w) per channel;
// the prepared bias takes it away again.
//
// DX points at group 0's weights for the current step, group 1's are R11
// further. R15 points at row 0's current step and R14 at row 6's; rows are
// R9 apart (R10 = 3*R9, R13 = 5*R9). BX counts the steps down.

#define ROW(src, t, a0, a1) \
	VPBROADCASTD src, t; \
	VPDPBUSD     Z24, t, a0; \
	VPDPBUSD     Z25, t, a1

#define ZERO4(a0, a1, a2, a3) \
	VPXORD a0, a0, a0; \
	VPXORD a1, a1, a1; \
	VPXORD a2, a2, a2; \
	VPXORD a3, a3, a3

// REQUANT applies Requant to the 16 channels in x with the group constants
// at P and the output constants at CX, using Z24-Z27 and K1-K2 (K1 =
// 0xAAAA: odd lanes), and leaves the 16 int8 results in X26:
//   x = (acc + bias) << left                       (wrapping)
//   x = floor((x*mult + 2^30) / 2^31)              (SaturatingRoundingDoublingHighMul)
//   x = (x >> right) + (x&mask > half + (x < 0))   (RoundingDivideByPOT)
//   int8(min(max(x + zero, min), max))
// The high multiply takes the 64-bit products of the even lanes and of the
// odd lanes shifted down (multodd holds their multipliers in even lanes)
// and keeps bits 31-62 of each sum. Its one overflow needs a multiplier of
// -2^31, which Prepare refuses.
#define REQUANT(x, P) \
	VPADDD           V_BIAS(P), x, x; \
	VPSLLVD          V_LEFT(P), x, x; \
	VPMULDQ          V_MULT(P), x, Z24; \
	VPSRLQ           $32, x, Z25; \
	VPMULDQ          V_MULTODD(P), Z25, Z25; \
	VPADDQ.BCST      vnniRound<>(SB), Z24, Z24; \
	VPADDQ.BCST      vnniRound<>(SB), Z25, Z25; \
	VPSRLQ           $31, Z24, Z24; \
	VPSLLQ           $1, Z25, Z25; \
	VPBLENDMD        Z25, Z24, K1, x; \
	VPANDD           V_MASK(P), x, Z24; \
	VPSRAD           $31, x, Z25; \
	VPADDD           Z25, Z24, Z24; \
	VPCMPGTD         V_HALF(P), Z24, K2; \
	VPSRAVD          V_RIGHT(P), x, x; \
	VPADDD.BCST      vnniOne<>(SB), x, K2, x; \
	VPADDD.BCST      O_ZERO(CX), x, x; \
	VPMAXSD.BCST     O_MIN(CX), x, x; \
	VPMINSD.BCST     O_MAX(CX), x, x; \
	VPMOVDB          x, X26

// STORE2 requantises one row's two groups (a0, a1) and stores them at AX
// and BX, then steps AX by ldc and BX by R15 (ldc, or 0 for the sink).
#define STORE2(a0, a1) \
	REQUANT(a0, R8); \
	VMOVDQU64 X26, (AX); \
	REQUANT(a1, DX); \
	VMOVDQU64 X26, (BX); \
	ADDQ      ldc+8(FP), AX; \
	ADDQ      R15, BX

// PARTNER points DX at group 1's constants and BX at the tile's group 1
// output, stepped by R15: 16 bytes after AX and ldc, or the sink and 0 when
// this pair has one group (groups+48(FP) == 1). It uses R14.
#define PARTNER \
	LEAQ    V_SIZE(R8), DX; \
	LEAQ    16(AX), BX; \
	MOVQ    ldc+8(FP), R15; \
	LEAQ    O_SINK(CX), R14; \
	CMPQ    groups+48(FP), $1; \
	CMOVQEQ R14, BX; \
	CMOVQEQ vnniZero<>(SB), R15

// func gemmTilesVNNI(out *int8, ldc int, a *int8, lda, rows int, w *int8, groups, kp int, p *vnniParams, q *vnniOutParams, steps int)
// steps is the number of 4-deep steps of the reduction (k/4 rounded up).
// For each pair of the groups groups of 16 channels (the last one alone
// when groups is odd; its partner's results go to the sink), the rows of A
// twelve at a time (the last twelve overlapping the tile before when rows
// is not a multiple of 12), or one at a time when there are fewer than 12;
// 16 bytes per row and group, ldc apart.
TEXT ·gemmTilesVNNI(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ lda+24(FP), R9
	MOVQ kp+56(FP), R11
	MOVQ p+64(FP), R8
	MOVQ q+72(FP), CX
	SHLQ $4, R11                 // bytes of one group's weights
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R13
	MOVL         $0xAAAA, AX
	KMOVW        AX, K1

pair:
	MOVQ a+16(FP), SI
	MOVQ rows+32(FP), R12
	MOVQ DI, AX                  // output of the tile
	CMPQ R12, $12
	JLT  single

tile12:
	MOVQ w+40(FP), DX
	MOVQ steps+80(FP), BX
	MOVQ SI, R15
	LEAQ (SI)(R10*2), R14        // row 6
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)
	ZERO4(Z8, Z9, Z10, Z11)
	ZERO4(Z12, Z13, Z14, Z15)
	ZERO4(Z16, Z17, Z18, Z19)
	ZERO4(Z20, Z21, Z22, Z23)

kloop12:
	VMOVDQU64 (DX), Z24
	VMOVDQU64 (DX)(R11*1), Z25
	ROW((R15), Z26, Z0, Z1)
	ROW((R15)(R9*1), Z27, Z2, Z3)
	ROW((R15)(R9*2), Z26, Z4, Z5)
	ROW((R15)(R10*1), Z27, Z6, Z7)
	ROW((R15)(R9*4), Z26, Z8, Z9)
	ROW((R15)(R13*1), Z27, Z10, Z11)
	ROW((R14), Z26, Z12, Z13)
	ROW((R14)(R9*1), Z27, Z14, Z15)
	ROW((R14)(R9*2), Z26, Z16, Z17)
	ROW((R14)(R10*1), Z27, Z18, Z19)
	ROW((R14)(R9*4), Z26, Z20, Z21)
	ROW((R14)(R13*1), Z27, Z22, Z23)
	ADDQ $64, DX
	ADDQ $4, R15
	ADDQ $4, R14
	DECQ BX
	JNZ  kloop12

	PARTNER
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	STORE2(Z14, Z15)
	STORE2(Z16, Z17)
	STORE2(Z18, Z19)
	STORE2(Z20, Z21)
	STORE2(Z22, Z23)
	LEAQ (SI)(R10*4), SI         // 12 rows on
	SUBQ $12, R12
	JZ   next
	CMPQ R12, $12
	JGE  tile12

	// Fewer than 12 rows left: back up to the last 12 rows.
	MOVQ  $12, BX
	SUBQ  R12, BX
	MOVQ  BX, R12
	IMULQ R9, BX
	SUBQ  BX, SI
	MOVQ  R12, BX
	IMULQ ldc+8(FP), BX
	SUBQ  BX, AX
	MOVQ  $12, R12
	JMP   tile12

single:
	MOVQ w+40(FP), DX
	MOVQ steps+80(FP), BX
	MOVQ SI, R15
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

kloop1:
	VMOVDQU64 (DX), Z24
	VMOVDQU64 (DX)(R11*1), Z25
	ROW((R15), Z26, Z0, Z1)
	ADDQ $64, DX
	ADDQ $4, R15
	DECQ BX
	JNZ  kloop1

	PARTNER
	STORE2(Z0, Z1)
	ADDQ R9, SI
	DECQ R12
	JNZ  single

next:
	ADDQ $32, DI
	MOVQ w+40(FP), DX
	LEAQ (DX)(R11*2), DX         // the next pair's weights
	MOVQ DX, w+40(FP)
	ADDQ $(2*V_SIZE), R8
	SUBQ $2, groups+48(FP)
	JGT  pair
	VZEROUPPER
	RET
