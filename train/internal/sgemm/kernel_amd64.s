//go:build amd64 && !purego

#include "textflag.h"

// Register use of both kernels: SI = A (row r at SI + r*R9), R12 = A's
// column stride in bytes, DI = B panel, BX = its row stride in bytes (then
// the bias), DX = C, R8 = ldc in bytes, CX = depth left, AX = flags.

// LOADARGS loads the arguments both kernels share into the registers above.
#define LOADARGS \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ rs+16(FP), R9; \
	SHLQ $2, R9; \
	LEAQ (R9)(R9*2), R10; \
	LEAQ (R9)(R9*4), R11; \
	MOVQ cs+24(FP), R12; \
	SHLQ $2, R12; \
	MOVQ b+32(FP), DI; \
	MOVQ bs+40(FP), BX; \
	SHLQ $2, BX; \
	MOVQ c+48(FP), DX; \
	MOVQ ldc+56(FP), R8; \
	SHLQ $2, R8

// The AVX2 kernel keeps row r of C in Y(2r) (columns 0-7) and Y(2r+1)
// (8-15). ACCROW2 adds the C row at R13 to one row's pair and steps R13 by
// ldc; STOREROW2 stores a pair at DX and steps DX; EACHROW2 applies op with
// lo (columns 0-7) and hi (8-15) to every row.
#define ACCROW2(lo, hi) \
	VADDPS (R13), lo, lo; \
	VADDPS 32(R13), hi, hi; \
	ADDQ   R8, R13

#define STOREROW2(lo, hi) \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 32(DX); \
	ADDQ    R8, DX

#define EACHROW2(op, lo, hi) \
	op lo, Y0, Y0; \
	op hi, Y1, Y1; \
	op lo, Y2, Y2; \
	op hi, Y3, Y3; \
	op lo, Y4, Y4; \
	op hi, Y5, Y5; \
	op lo, Y6, Y6; \
	op hi, Y7, Y7; \
	op lo, Y8, Y8; \
	op hi, Y9, Y9; \
	op lo, Y10, Y10; \
	op hi, Y11, Y11

// func kernelAVX2Asm(kc int, a *float32, rs, cs int, b *float32, bs int, c *float32, ldc, flags int, bias *float32)
// C[6][16] (+)= sum over p < kc of a[r*rs+p*cs] * b[p*bs+j], then + bias,
// then max(0, .), as flags say (1 accumulate, 2 bias, 4 relu); kc >= 1.
TEXT ·kernelAVX2Asm(SB), NOSPLIT, $0-80
	LOADARGS
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

avx2loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS (SI)(R9*1), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (SI)(R9*2), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS (SI)(R10*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (SI)(R9*4), Y14
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VBROADCASTSS (SI)(R11*1), Y15
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ R12, SI
	ADDQ BX, DI
	DECQ CX
	JNZ avx2loop

	MOVQ flags+64(FP), AX
	TESTQ $1, AX
	JZ avx2bias
	MOVQ DX, R13
	ACCROW2(Y0, Y1)
	ACCROW2(Y2, Y3)
	ACCROW2(Y4, Y5)
	ACCROW2(Y6, Y7)
	ACCROW2(Y8, Y9)
	ACCROW2(Y10, Y11)

avx2bias:
	TESTQ $2, AX
	JZ avx2relu
	MOVQ bias+72(FP), BX
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	EACHROW2(VADDPS, Y12, Y13)

avx2relu:
	TESTQ $4, AX
	JZ avx2store
	// max(0, v) returns v when v is NaN or a zero: as the Go reference.
	VXORPS Y14, Y14, Y14
	VMAXPS Y0, Y14, Y0
	VMAXPS Y1, Y14, Y1
	VMAXPS Y2, Y14, Y2
	VMAXPS Y3, Y14, Y3
	VMAXPS Y4, Y14, Y4
	VMAXPS Y5, Y14, Y5
	VMAXPS Y6, Y14, Y6
	VMAXPS Y7, Y14, Y7
	VMAXPS Y8, Y14, Y8
	VMAXPS Y9, Y14, Y9
	VMAXPS Y10, Y14, Y10
	VMAXPS Y11, Y14, Y11

avx2store:
	STOREROW2(Y0, Y1)
	STOREROW2(Y2, Y3)
	STOREROW2(Y4, Y5)
	STOREROW2(Y6, Y7)
	STOREROW2(Y8, Y9)
	STOREROW2(Y10, Y11)
	VZEROUPPER
	RET

// func kernelAVX512Asm(kc int, a *float32, rs, cs int, b *float32, bs int, c *float32, ldc, flags int, bias *float32)
// kernelAVX2Asm with one zmm accumulator per row: each step loads the B row
// once and broadcasts the six A values inside the FMAs.
TEXT ·kernelAVX512Asm(SB), NOSPLIT, $0-80
	LOADARGS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5

avx512loop:
	VMOVUPS (DI), Z6
	VFMADD231PS.BCST (SI), Z6, Z0
	VFMADD231PS.BCST (SI)(R9*1), Z6, Z1
	VFMADD231PS.BCST (SI)(R9*2), Z6, Z2
	VFMADD231PS.BCST (SI)(R10*1), Z6, Z3
	VFMADD231PS.BCST (SI)(R9*4), Z6, Z4
	VFMADD231PS.BCST (SI)(R11*1), Z6, Z5
	ADDQ R12, SI
	ADDQ BX, DI
	DECQ CX
	JNZ avx512loop

	MOVQ flags+64(FP), AX
	TESTQ $1, AX
	JZ avx512bias
	MOVQ DX, R13
	VADDPS (R13), Z0, Z0
	ADDQ R8, R13
	VADDPS (R13), Z1, Z1
	ADDQ R8, R13
	VADDPS (R13), Z2, Z2
	ADDQ R8, R13
	VADDPS (R13), Z3, Z3
	ADDQ R8, R13
	VADDPS (R13), Z4, Z4
	ADDQ R8, R13
	VADDPS (R13), Z5, Z5

avx512bias:
	TESTQ $2, AX
	JZ avx512relu
	MOVQ bias+72(FP), BX
	VMOVUPS (BX), Z6
	VADDPS Z6, Z0, Z0
	VADDPS Z6, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z6, Z3, Z3
	VADDPS Z6, Z4, Z4
	VADDPS Z6, Z5, Z5

avx512relu:
	TESTQ $4, AX
	JZ avx512store
	VPXORD Z7, Z7, Z7
	VMAXPS Z0, Z7, Z0
	VMAXPS Z1, Z7, Z1
	VMAXPS Z2, Z7, Z2
	VMAXPS Z3, Z7, Z3
	VMAXPS Z4, Z7, Z4
	VMAXPS Z5, Z7, Z5

avx512store:
	VMOVUPS Z0, (DX)
	ADDQ R8, DX
	VMOVUPS Z1, (DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	ADDQ R8, DX
	VMOVUPS Z3, (DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	ADDQ R8, DX
	VMOVUPS Z5, (DX)
	VZEROUPPER
	RET
