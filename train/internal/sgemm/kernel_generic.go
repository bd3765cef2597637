package sgemm

// kernelGeneric computes the MR x NR tile C (+)= A*B, then the flags'
// epilogue. It works on 2 x 8 sub-tiles so the sixteen accumulators stay in
// registers.
func kernelGeneric(kc int, a []float32, rs, cs int, b []float32, bs int, c []float32, ldc, flags int, bias []float32) {
	a = a[:(MR-1)*rs+(kc-1)*cs+1]
	b = b[:(kc-1)*bs+NR]
	var sub [2 * 8]float32
	for r := 0; r < MR; r += 2 {
		for j := 0; j < NR; j += 8 {
			subTile(kc, a[r*rs:], rs, cs, b[j:], bs, &sub)
			var bj []float32
			if flags&flagBias != 0 {
				bj = bias[j : j+8]
			}
			finishRow(c[r*ldc+j:r*ldc+j+8], sub[:8], flags, bj)
			finishRow(c[(r+1)*ldc+j:(r+1)*ldc+j+8], sub[8:], flags, bj)
		}
	}
}

// subTile is the 2 x 8 register block of kernelGeneric: rows 0 and 1 of a
// (row stride rs, column stride cs) times 8 columns of b (row stride bs).
func subTile(kc int, a []float32, rs, cs int, b []float32, bs int, out *[16]float32) {
	var c00, c01, c02, c03, c04, c05, c06, c07 float32
	var c10, c11, c12, c13, c14, c15, c16, c17 float32
	for p := 0; p < kc; p++ {
		a0, a1 := a[p*cs], a[p*cs+rs]
		bb := b[p*bs : p*bs+8 : p*bs+8]
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
	*out = [16]float32{c00, c01, c02, c03, c04, c05, c06, c07, c10, c11, c12, c13, c14, c15, c16, c17}
}
