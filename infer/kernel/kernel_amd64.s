//go:build amd64 && !purego

#include "textflag.h"

// Offsets in avxBlockParams (8 int32 lanes per field) and avxOutParams.
#define P_BIAS 0
#define P_MULT 32
#define P_LEFT 64
#define P_RIGHT 96
#define P_MASK 128
#define P_HALF 160
#define P_SIZE 192
#define Q_ZERO 0
#define Q_MIN 32
#define Q_MAX 64

// roundHalf<> is 2^30 in each 64-bit lane: the rounding term of
// SaturatingRoundingDoublingHighMul.
DATA roundHalf<>+0(SB)/8, $0x40000000
DATA roundHalf<>+8(SB)/8, $0x40000000
DATA roundHalf<>+16(SB)/8, $0x40000000
DATA roundHalf<>+24(SB)/8, $0x40000000
GLOBL roundHalf<>(SB), RODATA|NOPTR, $32

// minInt32<> is -2^31 in each 32-bit lane: the one high-mul result that
// overflowed (2^31) and must saturate to 2^31-1.
DATA minInt32<>+0(SB)/8, $0x8000000080000000
DATA minInt32<>+8(SB)/8, $0x8000000080000000
DATA minInt32<>+16(SB)/8, $0x8000000080000000
DATA minInt32<>+24(SB)/8, $0x8000000080000000
GLOBL minInt32<>(SB), RODATA|NOPTR, $32

// lowBytes<> gathers byte 0 of each 32-bit lane into the first 4 bytes of
// its 128-bit half (VPSHUFB), truncating like int8(v).
DATA lowBytes<>+0(SB)/8, $0x808080800c080400
DATA lowBytes<>+8(SB)/8, $0x8080808080808080
DATA lowBytes<>+16(SB)/8, $0x808080800c080400
DATA lowBytes<>+24(SB)/8, $0x8080808080808080
GLOBL lowBytes<>(SB), RODATA|NOPTR, $32

// Register plan of the tile kernel. A KStep is 16 int8 of each A row and
// 16 of each of the block's 4 weight channels (64 contiguous bytes), all
// sign-extended to 16 int16 (VPMOVSXBW). VPMADDWD multiplies them and adds
// pairs into 8 int32, which VPADDD accumulates: Y0-Y3 hold row 0 x
// channels 0-3, Y4-Y7 row 1, Y8-Y11 the weights, Y12-Y13 the rows, Y14-Y15
// the products.
//
// CX counts from -kp up to 0 in steps of 16: row 0 of A is read at
// (SI)(CX*1) and row 1 at (BX)(CX*1), where SI and BX point at the rows'
// ends; the weights are read at (DX)(CX*4), DX pointing at the block's end.

#define MAC(w, a, t, acc) \
	VPMADDWD w, a, t; \
	VPADDD   t, acc, acc

#define LOADW \
	VPMOVSXBW (DX)(CX*4), Y8; \
	VPMOVSXBW 16(DX)(CX*4), Y9; \
	VPMOVSXBW 32(DX)(CX*4), Y10; \
	VPMOVSXBW 48(DX)(CX*4), Y11

// KSTEP2 is one KStep of a 2-row tile, KSTEP1 of a single row.
#define KSTEP2 \
	LOADW; \
	VPMOVSXBW (SI)(CX*1), Y12; \
	VPMOVSXBW (BX)(CX*1), Y13; \
	MAC(Y8, Y12, Y14, Y0); MAC(Y9, Y12, Y15, Y1); MAC(Y10, Y12, Y14, Y2); MAC(Y11, Y12, Y15, Y3); \
	MAC(Y8, Y13, Y14, Y4); MAC(Y9, Y13, Y15, Y5); MAC(Y10, Y13, Y14, Y6); MAC(Y11, Y13, Y15, Y7)

#define KSTEP1 \
	LOADW; \
	VPMOVSXBW (SI)(CX*1), Y12; \
	MAC(Y8, Y12, Y14, Y0); MAC(Y9, Y12, Y15, Y1); MAC(Y10, Y12, Y14, Y2); MAC(Y11, Y12, Y15, Y3)

// REDUCEROW sums the 8 lanes of each of a0-a3 (one row, channels 0-3) per
// 128-bit half: a0 gets channel j's half sums in lane j of each half.
#define REDUCEROW(a0, a1, a2, a3) \
	VPHADDD a1, a0, a0; \
	VPHADDD a3, a2, a2; \
	VPHADDD a2, a0, a0

// REDUCE2 leaves the tile's sums in Y0: row 0's channels in lanes 0-3, row
// 1's in lanes 4-7.
#define REDUCE2 \
	REDUCEROW(Y0, Y1, Y2, Y3); \
	REDUCEROW(Y4, Y5, Y6, Y7); \
	VPERM2I128 $0x20, Y4, Y0, Y1; \
	VPERM2I128 $0x31, Y4, Y0, Y2; \
	VPADDD     Y2, Y1, Y0

// REDUCE1 leaves the row's sums in lanes 0-3 of Y0 (lanes 4-7 zero).
#define REDUCE1 \
	REDUCEROW(Y0, Y1, Y2, Y3); \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD       X1, X0, X0

// REQUANT applies Requant to the 8 lanes of Y0 with the block constants at
// R13 and the output constants at CX, using Y1-Y3, and leaves each lane's
// low byte in the first 4 bytes of its 128-bit half:
//   x = (acc + bias) << left                       (wrapping)
//   x = floor((x*mult + 2^30) / 2^31)              (SaturatingRoundingDoublingHighMul)
//   x = (x >> right) + (x&mask > half + (x < 0))   (RoundingDivideByPOT)
//   int8(min(max(x + zero, min), max))
// The high multiply takes the 64-bit products of the even lanes (VPMULDQ)
// and of the odd lanes shifted down, and keeps bits 31-62 of each sum; its
// only overflow, x = mult = -2^31, gives -2^31, which no other input does,
// and saturates to 2^31-1.
#define REQUANT \
	VPADDD   P_BIAS(R13), Y0, Y0; \
	VPSLLVD  P_LEFT(R13), Y0, Y0; \
	VMOVDQU  P_MULT(R13), Y1; \
	VPMULDQ  Y1, Y0, Y2; \
	VPSRLQ   $32, Y0, Y3; \
	VPSRLQ   $32, Y1, Y1; \
	VPMULDQ  Y1, Y3, Y3; \
	VPADDQ   roundHalf<>(SB), Y2, Y2; \
	VPADDQ   roundHalf<>(SB), Y3, Y3; \
	VPSRLQ   $31, Y2, Y2; \
	VPSLLQ   $1, Y3, Y3; \
	VPBLENDD $0xAA, Y3, Y2, Y0; \
	VPCMPEQD minInt32<>(SB), Y0, Y1; \
	VPXOR    Y1, Y0, Y0; \
	VPAND    P_MASK(R13), Y0, Y1; \
	VPSRAD   $31, Y0, Y2; \
	VMOVDQU  P_HALF(R13), Y3; \
	VPSUBD   Y2, Y3, Y3; \
	VPCMPGTD Y3, Y1, Y1; \
	VPSRAVD  P_RIGHT(R13), Y0, Y0; \
	VPSUBD   Y1, Y0, Y0; \
	VPADDD   Q_ZERO(CX), Y0, Y0; \
	VPMAXSD  Q_MIN(CX), Y0, Y0; \
	VPMINSD  Q_MAX(CX), Y0, Y0; \
	VPSHUFB  lowBytes<>(SB), Y0, Y0

#define ZERO4(a0, a1, a2, a3) \
	VPXOR a0, a0, a0; \
	VPXOR a1, a1, a1; \
	VPXOR a2, a2, a2; \
	VPXOR a3, a3, a3

// func gemmTilesAVX2(out *int8, ldc int, a *int8, lda, rows int, w *int8, nblocks, kp int, p *avxBlockParams, q *avxOutParams)
// For each of nblocks channel blocks, the rows of A two at a time (then a
// last single row) against the block's 4 channels; 4 bytes per row and
// block, ldc apart.
TEXT ·gemmTilesAVX2(SB), NOSPLIT, $0-80
	MOVQ out+0(FP), DI
	MOVQ ldc+8(FP), R8
	MOVQ lda+24(FP), R9
	MOVQ w+40(FP), DX
	MOVQ nblocks+48(FP), R11
	MOVQ kp+56(FP), R12
	MOVQ p+64(FP), R13
	LEAQ (DX)(R12*4), DX // end of block 0's weights
	NEGQ R12             // -kp

block:
	MOVQ a+16(FP), SI
	SUBQ R12, SI         // end of row 0
	MOVQ rows+32(FP), R10
	MOVQ DI, AX          // output of the tile
	CMPQ R10, $2
	JLT  single

pair:
	LEAQ (SI)(R9*1), BX
	MOVQ R12, CX
	ZERO4(Y0, Y1, Y2, Y3)
	ZERO4(Y4, Y5, Y6, Y7)

kloop2:
	KSTEP2
	ADDQ $16, CX
	JNZ  kloop2

	REDUCE2
	MOVQ q+72(FP), CX
	REQUANT
	VMOVD        X0, (AX)
	VEXTRACTI128 $1, Y0, X1
	VMOVD        X1, (AX)(R8*1)
	LEAQ         (AX)(R8*2), AX
	LEAQ         (SI)(R9*2), SI
	SUBQ         $2, R10
	CMPQ         R10, $2
	JGE          pair
	TESTQ        R10, R10
	JZ           next

single:
	MOVQ R12, CX
	ZERO4(Y0, Y1, Y2, Y3)

kloop1:
	KSTEP1
	ADDQ $16, CX
	JNZ  kloop1

	REDUCE1
	MOVQ  q+72(FP), CX
	REQUANT
	VMOVD X0, (AX)

next:
	ADDQ $4, DI
	MOVQ R12, CX
	SHLQ $2, CX
	SUBQ CX, DX          // end of the next block's weights
	ADDQ $P_SIZE, R13
	DECQ R11
	JNZ  block
	VZEROUPPER
	RET

// func maxPool2AVX2(out *int8, in *int8, ow, c, stride, w int)
// One output row of a 2x2 MaxPool; in points at the first of its two input
// rows (w pixels of c >= 16 channels). Channels go 16 at a time; when c is
// not a multiple of 16 the last block overlaps the one before it.
TEXT ·maxPool2AVX2(SB), NOSPLIT, $0-48
	MOVQ  out+0(FP), DI
	MOVQ  in+8(FP), SI
	MOVQ  ow+16(FP), DX
	MOVQ  c+24(FP), CX
	MOVQ  stride+32(FP), R8
	MOVQ  w+40(FP), R9
	IMULQ CX, R8            // bytes between pixels
	IMULQ CX, R9            // bytes between rows
	LEAQ  -16(CX), R10      // offset of the last channel block
	LEAQ  (SI)(CX*1), BX    // pixel (0, 1)
	LEAQ  (SI)(R9*1), R11   // pixel (1, 0)
	LEAQ  (R11)(CX*1), R12  // pixel (1, 1)

pixel:
	XORQ AX, AX

chans:
	CMPQ    AX, R10
	CMOVQGT R10, AX
	VMOVDQU (SI)(AX*1), X0
	VPMAXSB (BX)(AX*1), X0, X0
	VPMAXSB (R11)(AX*1), X0, X0
	VPMAXSB (R12)(AX*1), X0, X0
	VMOVDQU X0, (DI)(AX*1)
	ADDQ    $16, AX
	CMPQ    AX, CX
	JLT     chans
	ADDQ    CX, DI
	ADDQ    R8, SI
	ADDQ    R8, BX
	ADDQ    R8, R11
	ADDQ    R8, R12
	DECQ    DX
	JNZ     pixel
	RET

// func gatherAVX2(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int, flip uint8)
// im2col from padded input rows: for each of npix pixels (dst kp apart, src
// step apart) copies kh segments of seg bytes (src pitch apart) one after
// the other, XORing every byte with flip. It copies whole 16-byte (seg <=
// 16) or 64-byte chunks, so it reads and writes up to 63 bytes past a
// segment; later segments and pixels overwrite the excess and bytes past k
// meet zero weights.
TEXT ·gatherAVX2(SB), NOSPLIT, $0-65
	MOVQ dst+0(FP), DI
	MOVQ kp+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ pitch+24(FP), R9
	MOVQ step+32(FP), R10
	MOVQ npix+40(FP), DX
	MOVQ kh+48(FP), R11
	MOVQ seg+56(FP), R12
	MOVBLZX flip+64(FP), CX
	MOVQ CX, X15
	VPBROADCASTB X15, Y15
	CMPQ R12, $16
	JGT  widepix

narrowpix:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX

narrowseg:
	VMOVDQU (AX), X0
	VPXOR   X15, X0, X0
	VMOVDQU X0, (BX)
	ADDQ    R9, AX
	ADDQ    R12, BX
	DECQ    CX
	JNZ     narrowseg
	ADDQ    R10, SI
	ADDQ    R8, DI
	DECQ    DX
	JNZ     narrowpix
	VZEROUPPER
	RET

widepix:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX

wideseg:
	XORQ R13, R13        // offset in the segment

widechunk:
	VMOVDQU (AX)(R13*1), Y0
	VMOVDQU 32(AX)(R13*1), Y1
	VPXOR   Y15, Y0, Y0
	VPXOR   Y15, Y1, Y1
	VMOVDQU Y0, (BX)(R13*1)
	VMOVDQU Y1, 32(BX)(R13*1)
	ADDQ    $64, R13
	CMPQ    R13, R12
	JLT     widechunk
	ADDQ    R9, AX
	ADDQ    R12, BX
	DECQ    CX
	JNZ     wideseg
	ADDQ    R10, SI
	ADDQ    R8, DI
	DECQ    DX
	JNZ     widepix
	VZEROUPPER
	RET

// Offsets in groupParams (16 int32 lanes per field; a ymm takes 8).
#define G_BIAS 0
#define G_MULT 64
#define G_MULTODD 128
#define G_LEFT 192
#define G_RIGHT 256
#define G_MASK 320
#define G_HALF 384

// Register plan of the wide tile kernel (AVX2 on weights Prepare widened to
// int16): per group of 16 channels, per 2-deep step of the reduction, 64
// bytes with channel c's 2 int16 weights in int32 lane c (Y8: channels
// 0-7, Y9: 8-15). Rows hold int16 activations (widened by
// gatherWideAVX2). Per step each row's 2 values are broadcast to every
// lane, and VPMADDWD multiplies and adds them in pairs: Y(2r) and Y(2r+1)
// accumulate row r's channels 0-7 and 8-15, for up to 4 rows. DX points at
// the step's weights, SI at row 0's step; rows are R9 apart (R10 = 3*R9);
// BX counts the steps down.

#define WROW(src, a0, a1) \
	VPBROADCASTD src, Y10; \
	VPMADDWD     Y8, Y10, Y11; \
	VPMADDWD     Y9, Y10, Y12; \
	VPADDD       Y11, a0, a0; \
	VPADDD       Y12, a1, a1

// REQUANTW is REQUANT (above) on the 8 channels in x, whose constants are
// off bytes into each field of the groupParams at R8, with the output
// constants at CX, using Y10-Y12. Prepare refuses the multiplier of -2^31,
// so the high multiply needs no saturation here.
#define REQUANTW(x, off) \
	VPADDD   (G_BIAS+off)(R8), x, x; \
	VPSLLVD  (G_LEFT+off)(R8), x, x; \
	VPMULDQ  (G_MULT+off)(R8), x, Y10; \
	VPSRLQ   $32, x, Y11; \
	VPMULDQ  (G_MULTODD+off)(R8), Y11, Y11; \
	VPADDQ   roundHalf<>(SB), Y10, Y10; \
	VPADDQ   roundHalf<>(SB), Y11, Y11; \
	VPSRLQ   $31, Y10, Y10; \
	VPSLLQ   $1, Y11, Y11; \
	VPBLENDD $0xAA, Y11, Y10, x; \
	VPAND    (G_MASK+off)(R8), x, Y10; \
	VPSRAD   $31, x, Y11; \
	VPADDD   Y11, Y10, Y10; \
	VPCMPGTD (G_HALF+off)(R8), Y10, Y10; \
	VPSRAVD  (G_RIGHT+off)(R8), x, x; \
	VPSUBD   Y10, x, x; \
	VPADDD   Q_ZERO(CX), x, x; \
	VPMAXSD  Q_MIN(CX), x, x; \
	VPMINSD  Q_MAX(CX), x, x

// STOREW requantises one row (a0: channels 0-7, a1: 8-15; xa0 is a0's
// xmm), packs the 16 results to int8 and stores them at AX, then steps AX
// by R11 (ldc).
#define STOREW(a0, a1, xa0) \
	REQUANTW(a0, 0); \
	REQUANTW(a1, 32); \
	VPACKSSDW    a1, a0, a0; \
	VPERMQ       $0xD8, a0, a0; \
	VEXTRACTI128 $1, a0, X10; \
	VPACKSSWB    X10, xa0, xa0; \
	VMOVDQU      xa0, (AX); \
	ADDQ         R11, AX

#define ZEROW(a0, a1) \
	VPXOR a0, a0, a0; \
	VPXOR a1, a1, a1

// func gemmTilesWide(out *int8, ldc int, a *int8, lda, rows int, w *int16, groups, kp int, p *groupParams, q *avxOutParams, steps int)
// a holds rows rows of int16 activations, lda bytes apart; steps is the
// number of 2-deep steps of the reduction. For each of groups groups of 16
// channels, the rows four at a time (the last four overlapping the tile
// before when rows is not a multiple of 4), or one at a time when there
// are fewer than 4; 16 bytes per row and group, ldc apart.
TEXT ·gemmTilesWide(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ lda+24(FP), R9
	MOVQ p+64(FP), R8
	MOVQ q+72(FP), CX
	MOVQ ldc+8(FP), R11
	LEAQ (R9)(R9*2), R10

wgroup:
	MOVQ a+16(FP), SI
	MOVQ rows+32(FP), R12
	MOVQ DI, AX                  // output of the tile
	CMPQ R12, $4
	JLT  wsingle

wtile4:
	MOVQ w+40(FP), DX
	MOVQ steps+80(FP), BX
	MOVQ SI, R13
	ZEROW(Y0, Y1)
	ZEROW(Y2, Y3)
	ZEROW(Y4, Y5)
	ZEROW(Y6, Y7)

wkloop4:
	VMOVDQU (DX), Y8
	VMOVDQU 32(DX), Y9
	WROW((R13), Y0, Y1)
	WROW((R13)(R9*1), Y2, Y3)
	WROW((R13)(R9*2), Y4, Y5)
	WROW((R13)(R10*1), Y6, Y7)
	ADDQ $64, DX
	ADDQ $4, R13
	DECQ BX
	JNZ  wkloop4

	STOREW(Y0, Y1, X0)
	STOREW(Y2, Y3, X2)
	STOREW(Y4, Y5, X4)
	STOREW(Y6, Y7, X6)
	LEAQ (SI)(R9*4), SI          // 4 rows on
	SUBQ $4, R12
	JZ   wnext
	CMPQ R12, $4
	JGE  wtile4

	// Fewer than 4 rows left: back up to the last 4 rows.
	MOVQ  $4, BX
	SUBQ  R12, BX
	MOVQ  BX, R12
	IMULQ R9, BX
	SUBQ  BX, SI
	MOVQ  R12, BX
	IMULQ R11, BX
	SUBQ  BX, AX
	MOVQ  $4, R12
	JMP   wtile4

wsingle:
	MOVQ w+40(FP), DX
	MOVQ steps+80(FP), BX
	MOVQ SI, R13
	ZEROW(Y0, Y1)

wkloop1:
	VMOVDQU (DX), Y8
	VMOVDQU 32(DX), Y9
	WROW((R13), Y0, Y1)
	ADDQ $64, DX
	ADDQ $4, R13
	DECQ BX
	JNZ  wkloop1

	STOREW(Y0, Y1, X0)
	ADDQ R9, SI
	DECQ R12
	JNZ  wsingle

wnext:
	ADDQ $16, DI
	MOVQ kp+56(FP), DX
	SHLQ $5, DX                  // bytes of one group's weights
	ADDQ DX, w+40(FP)
	ADDQ $448, R8                // the next group's constants
	DECQ groups+48(FP)
	JNZ  wgroup
	VZEROUPPER
	RET

// func gatherWideAVX2(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int)
// gatherAVX2 widening every byte to int16: dst pixels 2*kp bytes apart,
// segments 2*seg bytes. It copies 16-byte chunks, so it reads up to 15
// bytes and writes up to 30 past a segment; later segments and pixels
// overwrite the excess and values past k meet zero weights.
TEXT ·gatherWideAVX2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ kp+8(FP), R8
	SHLQ $1, R8
	MOVQ src+16(FP), SI
	MOVQ pitch+24(FP), R9
	MOVQ step+32(FP), R10
	MOVQ npix+40(FP), DX
	MOVQ kh+48(FP), R11
	MOVQ seg+56(FP), R12

gwpix:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX

gwseg:
	XORQ R13, R13                // offset in the segment

gwchunk:
	VPMOVSXBW (AX)(R13*1), Y0
	VMOVDQU   Y0, (BX)(R13*2)
	ADDQ      $16, R13
	CMPQ      R13, R12
	JLT       gwchunk
	ADDQ      R9, AX
	LEAQ      (BX)(R12*2), BX
	DECQ      CX
	JNZ       gwseg
	ADDQ      R10, SI
	ADDQ      R8, DI
	DECQ      DX
	JNZ       gwpix
	VZEROUPPER
	RET
