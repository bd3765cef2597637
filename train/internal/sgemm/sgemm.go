// Package sgemm multiplies float32 matrices for the trainer: a cache-blocked
// GEMM in the BLIS style. Operands are packed into panels (A into MR-row
// panels, B into NR-column panels, each kc deep) and a register-blocked
// MR x NR micro-kernel multiplies one pair of panels. Packing absorbs
// transposition, so one kernel serves C = A*B, A^T*B and A*B^T.
//
// The pure-Go micro-kernel (kernel_generic.go) is the specification and the
// fallback; on amd64 with AVX2 and FMA an assembly kernel is chosen once at
// init (the purego build tag forces the generic one). Results are a pure
// function of the inputs and the shapes: the reduction order never depends on
// timing, so training is reproducible.
//
// All matrices are row-major with explicit leading dimensions. Nothing here
// allocates once a Workspace has grown to its working size.
package sgemm

// Micro-kernel tile and cache blocking.
const (
	MR = 6   // rows of a micro-tile
	NR = 16  // columns of a micro-tile
	KC = 256 // depth of a packed block
	MC = 96  // rows of A packed at a time (a multiple of MR)
)

// Workspace holds one goroutine's packing buffers. The zero value is ready
// to use; buffers grow on first use and are then reused.
type Workspace struct {
	packA []float32
	packB PackedB
	tile  [MR * NR]float32
}

// PackedB is a B operand packed once for many multiplications (a layer's
// weights for a whole batch). Blocks of KC rows follow each other; within a
// block, NR-column panels of kc rows by NR values, zero-padded.
type PackedB struct {
	k, n int
	data []float32
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// Pack packs the k x n operand B (or, with trans, the transpose of the
// n x k matrix b) into p, reusing p's buffer.
func (p *PackedB) Pack(trans bool, k, n int, b []float32, ldb int) {
	np := roundUp(n, NR)
	p.k, p.n = k, n
	p.data = grow(p.data, k*np)
	for pc := 0; pc < k; pc += KC {
		kc := min(KC, k-pc)
		packB(p.data[pc*np:pc*np+kc*np], trans, kc, n, b, ldb, pc)
	}
}

// packB writes rows [pc, pc+kc) of B as NR-wide panels into dst.
func packB(dst []float32, trans bool, kc, n int, b []float32, ldb, pc int) {
	for j0 := 0; j0 < n; j0 += NR {
		nr := min(NR, n-j0)
		panel := dst[j0*kc : j0*kc+kc*NR]
		for p := 0; p < kc; p++ {
			row := panel[p*NR : p*NR+NR]
			if !trans {
				src := b[(pc+p)*ldb+j0:]
				copy(row[:nr], src[:nr])
			} else {
				for j := 0; j < nr; j++ {
					row[j] = b[(j0+j)*ldb+pc+p]
				}
			}
			clear(row[nr:])
		}
	}
}

// packA writes rows [i0, i0+mc) and columns [pc, pc+kc) of A (or of the
// transpose of the stored matrix a) as MR-row panels of kc columns.
func packA(dst []float32, trans bool, mc, kc int, a []float32, lda, i0, pc int) {
	for r0 := 0; r0 < mc; r0 += MR {
		mr := min(MR, mc-r0)
		panel := dst[r0*kc : r0*kc+kc*MR]
		if !trans {
			for r := 0; r < mr; r++ {
				src := a[(i0+r0+r)*lda+pc:]
				src = src[:kc]
				for p, v := range src {
					panel[p*MR+r] = v
				}
			}
			for r := mr; r < MR; r++ {
				for p := 0; p < kc; p++ {
					panel[p*MR+r] = 0
				}
			}
			continue
		}
		if mr == MR {
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+i0+r0 : (pc+p)*lda+i0+r0+MR : (pc+p)*lda+i0+r0+MR]
				dst := panel[p*MR : p*MR+MR : p*MR+MR]
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5] = src[0], src[1], src[2], src[3], src[4], src[5]
			}
			continue
		}
		for p := 0; p < kc; p++ {
			dst := panel[p*MR : p*MR+MR]
			copy(dst[:mr], a[(pc+p)*lda+i0+r0:])
			clear(dst[mr:])
		}
	}
}

// Gemm computes C = op(A)*op(B) (or C += op(A)*op(B) with accumulate) for an
// m x n C, where op(A) is m x k (A stored k x m when transA) and op(B) is
// k x n (B stored n x k when transB).
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool, ws *Workspace) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		zeroUnlessAccumulate(c, ldc, m, n, accumulate)
		return
	}
	np := roundUp(n, NR)
	for pc := 0; pc < k; pc += KC {
		kc := min(KC, k-pc)
		ws.packB.data = grow(ws.packB.data, kc*np)
		packB(ws.packB.data, transB, kc, n, b, ldb, pc)
		ws.multiply(transA, m, n, kc, a, lda, pc, ws.packB.data, c, ldc, accumulate || pc > 0)
	}
}

// GemmPacked computes C = op(A)*B (or C += op(A)*B) with B packed by
// PackedB.Pack; op(A) is m x k with k = the packed depth.
func GemmPacked(transA bool, m int, a []float32, lda int, b *PackedB, c []float32, ldc int, accumulate bool, ws *Workspace) {
	n, k := b.n, b.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		zeroUnlessAccumulate(c, ldc, m, n, accumulate)
		return
	}
	np := roundUp(n, NR)
	for pc := 0; pc < k; pc += KC {
		kc := min(KC, k-pc)
		ws.multiply(transA, m, n, kc, a, lda, pc, b.data[pc*np:pc*np+kc*np], c, ldc, accumulate || pc > 0)
	}
}

func zeroUnlessAccumulate(c []float32, ldc, m, n int, accumulate bool) {
	if accumulate {
		return
	}
	for i := 0; i < m; i++ {
		clear(c[i*ldc : i*ldc+n])
	}
}

// multiply does one kc-deep block: C (+)= A[:, pc:pc+kc] * Bblock.
func (ws *Workspace) multiply(transA bool, m, n, kc int, a []float32, lda, pc int, bp []float32, c []float32, ldc int, accumulate bool) {
	ws.packA = grow(ws.packA, MC*KC)
	for i0 := 0; i0 < m; i0 += MC {
		mc := min(MC, m-i0)
		packA(ws.packA, transA, mc, kc, a, lda, i0, pc)
		for j0 := 0; j0 < n; j0 += NR {
			nr := min(NR, n-j0)
			bpanel := bp[j0*kc : j0*kc+kc*NR]
			for r0 := 0; r0 < mc; r0 += MR {
				mr := min(MR, mc-r0)
				apanel := ws.packA[r0*kc : r0*kc+kc*MR]
				ci := (i0+r0)*ldc + j0
				if mr == MR && nr == NR {
					kernel(kc, apanel, bpanel, c[ci:], ldc, accumulate)
					continue
				}
				// Edge tile: compute into the scratch tile, copy the valid part.
				kernel(kc, apanel, bpanel, ws.tile[:], NR, false)
				for r := 0; r < mr; r++ {
					dst := c[ci+r*ldc : ci+r*ldc+nr]
					src := ws.tile[r*NR : r*NR+nr]
					if accumulate {
						for j, v := range src {
							dst[j] += v
						}
					} else {
						copy(dst, src)
					}
				}
			}
		}
	}
}

// Impl names the micro-kernel in use: "generic" or "avx2".
func Impl() string { return impl }

var (
	kernel = kernelGeneric
	impl   = "generic"
)
