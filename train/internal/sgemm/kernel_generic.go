package sgemm

// kernelGeneric computes the MR x NR tile C (+)= A*B from an A panel (kc
// columns of MR values) and a B panel (kc rows of NR values). It works on
// 2 x 8 sub-tiles so the sixteen accumulators stay in registers.
func kernelGeneric(kc int, a, b []float32, c []float32, ldc int, accumulate bool) {
	a = a[:kc*MR]
	b = b[:kc*NR]
	for r := 0; r < MR; r += 2 {
		for j := 0; j < NR; j += 8 {
			subTile(kc, a[r:], b[j:], c[r*ldc+j:], ldc, accumulate)
		}
	}
}

// subTile is the 2 x 8 register block of kernelGeneric.
func subTile(kc int, a, b []float32, c []float32, ldc int, accumulate bool) {
	var c00, c01, c02, c03, c04, c05, c06, c07 float32
	var c10, c11, c12, c13, c14, c15, c16, c17 float32
	for p := 0; p < kc; p++ {
		aa := a[p*MR : p*MR+2 : p*MR+2]
		bb := b[p*NR : p*NR+8 : p*NR+8]
		a0, a1 := aa[0], aa[1]
		b0, b1, b2, b3, b4, b5, b6, b7 := bb[0], bb[1], bb[2], bb[3], bb[4], bb[5], bb[6], bb[7]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c04 += a0 * b4
		c05 += a0 * b5
		c06 += a0 * b6
		c07 += a0 * b7
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c14 += a1 * b4
		c15 += a1 * b5
		c16 += a1 * b6
		c17 += a1 * b7
	}
	r0 := c[0:8:8]
	r1 := c[ldc : ldc+8 : ldc+8]
	if accumulate {
		r0[0] += c00
		r0[1] += c01
		r0[2] += c02
		r0[3] += c03
		r0[4] += c04
		r0[5] += c05
		r0[6] += c06
		r0[7] += c07
		r1[0] += c10
		r1[1] += c11
		r1[2] += c12
		r1[3] += c13
		r1[4] += c14
		r1[5] += c15
		r1[6] += c16
		r1[7] += c17
		return
	}
	r0[0], r0[1], r0[2], r0[3], r0[4], r0[5], r0[6], r0[7] = c00, c01, c02, c03, c04, c05, c06, c07
	r1[0], r1[1], r1[2], r1[3], r1[4], r1[5], r1[6], r1[7] = c10, c11, c12, c13, c14, c15, c16, c17
}
