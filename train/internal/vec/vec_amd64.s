//go:build amd64 && !purego

#include "textflag.h"

// func reluGradAsm(dy, y *float32, n int)
TEXT ·reluGradAsm(SB), NOSPLIT, $0-24
	MOVQ dy+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	VXORPS Y15, Y15, Y15

relu:
	// Y1 = (y <= 0), false for NaN; dy &^= Y1.
	VMOVUPS (SI), Y0
	VCMPPS $2, Y15, Y0, Y1
	VANDNPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ relu
	VZEROUPPER
	RET

// func clampAsm(y, x *float32, n int, top float32)
TEXT ·clampAsm(SB), NOSPLIT, $0-28
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS top+24(FP), Y14
	SHRQ $3, CX
	VXORPS Y15, Y15, Y15

clampLoop:
	// MAXPS gives its second operand (0) unless x > 0, so NaN becomes 0;
	// MINPS then gives top unless the value is below it.
	VMOVUPS (SI), Y0
	VMAXPS Y15, Y0, Y0
	VMINPS Y14, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ clampLoop
	VZEROUPPER
	RET

// func clampGradAsm(dz, dy, y *float32, n int, top float32)
TEXT ·clampGradAsm(SB), NOSPLIT, $0-36
	MOVQ dz+0(FP), DX
	MOVQ dy+8(FP), DI
	MOVQ y+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS top+32(FP), Y14
	SHRQ $3, CX
	VXORPS Y15, Y15, Y15

clamp:
	// Y1 = (y <= 0) | (y >= top), both false for NaN; dz = dy &^ Y1.
	VMOVUPS (SI), Y0
	VCMPPS $2, Y15, Y0, Y1
	VCMPPS $13, Y14, Y0, Y2
	VORPS Y2, Y1, Y1
	VANDNPS (DI), Y1, Y1
	VMOVUPS Y1, (DX)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNZ clamp
	VZEROUPPER
	RET

// func mulAddAsm(dst *float32, dstStep int, a *float32, aStep int, b *float32, bStep int, c, pixels int)
// c a positive multiple of 8, pixels positive; steps in floats.
TEXT ·mulAddAsm(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dstStep+8(FP), R8
	MOVQ a+16(FP), SI
	MOVQ aStep+24(FP), R9
	MOVQ b+32(FP), DX
	MOVQ bStep+40(FP), R10
	MOVQ c+48(FP), R11
	MOVQ pixels+56(FP), R12
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SHRQ $3, R11

muladdPixel:
	MOVQ R11, CX
	XORQ AX, AX

muladdChunk:
	// dst = a*b + dst, the product rounded first as in Go.
	VMOVUPS (SI)(AX*1), Y0
	VMULPS (DX)(AX*1), Y0, Y0
	VADDPS (DI)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	DECQ CX
	JNZ muladdChunk
	ADDQ R8, DI
	ADDQ R9, SI
	ADDQ R10, DX
	DECQ R12
	JNZ muladdPixel
	VZEROUPPER
	RET

// func affineAsm(y, x, a, b *float32, c, pixels int)
TEXT ·affineAsm(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ c+32(FP), R11
	MOVQ pixels+40(FP), R12
	SHRQ $3, R11

affinePixel:
	MOVQ R11, CX
	XORQ AX, AX

affineChunk:
	VMOVUPS (SI)(AX*1), Y0
	VMULPS (R8)(AX*1), Y0, Y0
	VADDPS (R9)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	DECQ CX
	JNZ affineChunk
	ADDQ AX, DI
	ADDQ AX, SI
	DECQ R12
	JNZ affinePixel
	VZEROUPPER
	RET

// func affine2Asm(z, u, v, a, b, d *float32, c, pixels int)
TEXT ·affine2Asm(SB), NOSPLIT, $0-64
	MOVQ z+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ a+24(FP), R8
	MOVQ b+32(FP), R9
	MOVQ d+40(FP), R10
	MOVQ c+48(FP), R11
	MOVQ pixels+56(FP), R12
	SHRQ $3, R11

affine2Pixel:
	MOVQ R11, CX
	XORQ AX, AX

affine2Chunk:
	// z = (u*a + v*b) + d, each step rounded as in Go.
	VMOVUPS (SI)(AX*1), Y0
	VMULPS (R8)(AX*1), Y0, Y0
	VMOVUPS (DX)(AX*1), Y1
	VMULPS (R9)(AX*1), Y1, Y1
	VADDPS Y1, Y0, Y0
	VADDPS (R10)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	DECQ CX
	JNZ affine2Chunk
	ADDQ AX, DI
	ADDQ AX, SI
	ADDQ AX, DX
	DECQ R12
	JNZ affine2Pixel
	VZEROUPPER
	RET

// func channelSumsAsm(s1, s2 *float64, u, v *float32, c, pixels int)
TEXT ·channelSumsAsm(SB), NOSPLIT, $0-48
	MOVQ s1+0(FP), DI
	MOVQ s2+8(FP), DX
	MOVQ u+16(FP), SI
	MOVQ v+24(FP), R8
	MOVQ c+32(FP), R11
	MOVQ pixels+40(FP), R12
	SHRQ $2, R11

sumsPixel:
	MOVQ R11, CX
	XORQ AX, AX // offset in the float32 rows
	XORQ BX, BX // offset in the float64 sums

sumsChunk:
	// Four channels: widen u and v to float64, s1 += u, s2 += u*v.
	VCVTPS2PD (SI)(AX*1), Y0
	VCVTPS2PD (R8)(AX*1), Y1
	VADDPD (DI)(BX*1), Y0, Y2
	VMOVUPD Y2, (DI)(BX*1)
	VMULPD Y1, Y0, Y0
	VADDPD (DX)(BX*1), Y0, Y0
	VMOVUPD Y0, (DX)(BX*1)
	ADDQ $16, AX
	ADDQ $32, BX
	DECQ CX
	JNZ sumsChunk
	ADDQ AX, SI
	ADDQ AX, R8
	DECQ R12
	JNZ sumsPixel
	VZEROUPPER
	RET

// func addAsm(dst, src *float32, n int)
TEXT ·addAsm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

add:
	VMOVUPS (DI), Y0
	VADDPS (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ add
	VZEROUPPER
	RET

// func maxPool2x2Asm(dst, r0, r1 *float32, n, c int)
// Pointers walk the channels of input pixels 2x (SI, DX) and the output
// pixel (DI); pixel 2x+1 is R8 bytes further.
TEXT ·maxPool2x2Asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), BX
	MOVQ c+32(FP), R8
	SHLQ $2, R8

poolpixel:
	MOVQ R8, CX
	SHRQ $5, CX

poolchan:
	// max(a, b) returns b if they are equal or either is NaN, like max2.
	VMOVUPS (SI), Y0
	VMAXPS (SI)(R8*1), Y0, Y0
	VMOVUPS (DX), Y1
	VMAXPS (DX)(R8*1), Y1, Y1
	VMAXPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ poolchan
	ADDQ R8, SI
	ADDQ R8, DX
	DECQ BX
	JNZ poolpixel
	VZEROUPPER
	RET

// func maxPool2x2GradAsm(dx0, dx1, x0, x1, y, dy *float32, n, c int)
// As maxPool2x2Asm: pointers walk pixel 2x of x0, x1, dx0, dx1 (2x+1 is R8
// bytes further) and pixel x of y and dy. Y6 marks the lanes whose window
// maximum has been found.
TEXT ·maxPool2x2GradAsm(SB), NOSPLIT, $0-64
	MOVQ dx0+0(FP), DI
	MOVQ dx1+8(FP), R11
	MOVQ x0+16(FP), SI
	MOVQ x1+24(FP), DX
	MOVQ y+32(FP), R12
	MOVQ dy+40(FP), R13
	MOVQ n+48(FP), BX
	MOVQ c+56(FP), R8
	SHLQ $2, R8

gradpixel:
	MOVQ R8, CX
	SHRQ $5, CX

gradchan:
	VMOVUPS (R12), Y4
	VMOVUPS (R13), Y5
	VCMPPS $0, (SI), Y4, Y0
	VMOVAPS Y0, Y6
	VCMPPS $0, (SI)(R8*1), Y4, Y1
	VANDNPS Y1, Y6, Y1
	VORPS Y1, Y6, Y6
	VCMPPS $0, (DX), Y4, Y2
	VANDNPS Y2, Y6, Y2
	VORPS Y2, Y6, Y6
	VCMPPS $0, (DX)(R8*1), Y4, Y3
	VANDNPS Y3, Y6, Y3
	VANDPS Y5, Y0, Y0
	VANDPS Y5, Y1, Y1
	VANDPS Y5, Y2, Y2
	VANDPS Y5, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R8*1)
	VMOVUPS Y2, (R11)
	VMOVUPS Y3, (R11)(R8*1)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ CX
	JNZ gradchan
	ADDQ R8, SI
	ADDQ R8, DX
	ADDQ R8, DI
	ADDQ R8, R11
	DECQ BX
	JNZ gradpixel
	VZEROUPPER
	RET

// func adamAsm(w, grad, m, v *float32, n int, k *adamConsts)
// k = alpha, b1, 1-b1, b2, 1-b2, eps; each product and sum rounded on its
// own, in adamGo's order.
TEXT ·adamAsm(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	MOVQ k+40(FP), AX
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS 20(AX), Y15

adam:
	VMOVUPS (SI), Y2
	VMULPS (DX), Y11, Y0
	VMULPS Y2, Y12, Y3
	VADDPS Y3, Y0, Y0
	VMOVUPS Y0, (DX)
	VMULPS (R8), Y13, Y1
	VMULPS Y2, Y14, Y3
	VMULPS Y2, Y3, Y3
	VADDPS Y3, Y1, Y1
	VMOVUPS Y1, (R8)
	VSQRTPS Y1, Y1
	VADDPS Y15, Y1, Y1
	VMULPS Y0, Y10, Y0
	VDIVPS Y1, Y0, Y0
	VMOVUPS (DI), Y4
	VSUBPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ CX
	JNZ adam
	VZEROUPPER
	RET
