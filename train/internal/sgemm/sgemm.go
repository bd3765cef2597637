// Package sgemm multiplies float32 matrices for the trainer: a cache-blocked
// GEMM in the BLIS style, where a register-blocked MR x NR micro-kernel
// multiplies MR rows of A by an NR-column panel of B, kc deep. The kernel
// reads A through a row and a column stride and B through a row stride, so
// A is used in place whether it is stored row-major or transposed, and so is
// a row-major B; a transposed B is packed into NR-column panels (once per
// multiplication, or once for many with PackedB), as are final panels of
// fewer than MR rows or NR columns (zero-padded). One kernel serves
// C = A*B, A^T*B and A*B^T.
//
// The pure-Go micro-kernel (kernel_generic.go) is the specification and the
// fallback; on amd64 an assembly kernel (AVX-512F, else AVX2+FMA) is chosen
// once at init (the purego build tag forces the generic one). Results are a
// pure function of the inputs and the shapes: the reduction order never
// depends on timing, so training is reproducible.
//
// All matrices are row-major with explicit leading dimensions. Nothing here
// allocates once a Workspace has grown to its working size.
package sgemm

// Micro-kernel tile and cache blocking.
const (
	MR = 6   // rows of a micro-tile
	NR = 16  // columns of a micro-tile
	KC = 256 // depth of a block
	MC = 96  // rows of A multiplied by each B panel in turn (a multiple of MR)
)

// Workspace holds one goroutine's packing buffers. The zero value is ready
// to use; buffers grow on first use and are then reused.
type Workspace struct {
	packA []float32 // a final panel of fewer than MR rows of A
	packB []float32 // a transposed B block, or the final narrow panel of a row-major one
	tile  [MR * NR]float32
}

// PackedB is a B operand packed once for many multiplications (a layer's
// weights for a whole batch). Blocks of KC rows follow each other; within a
// block, NR-column panels of kc rows by NR values, zero-padded.
type PackedB struct {
	k, n int
	data []float32
}

// Epilogue is applied to C once the product is complete (fused into the
// micro-kernel's store): C = max(C + Bias, 0) with ReLU, C + Bias without.
// A nil Bias adds nothing; the zero value leaves the product as it is.
type Epilogue struct {
	Bias []float32 // one value per column of C, or nil
	ReLU bool
}

// Flags of a micro-kernel call.
const (
	flagAccumulate = 1 << iota // add the product to C instead of overwriting it
	flagBias                   // then add bias[j] to column j
	flagReLU                   // then replace negative values by 0
)

// flags returns the kernel flags of the epilogue.
func (ep Epilogue) flags() int {
	f := 0
	if ep.Bias != nil {
		f |= flagBias
	}
	if ep.ReLU {
		f |= flagReLU
	}
	return f
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
		if trans {
			// Column j of the panel is a stored row: read it front to back.
			for j := 0; j < nr; j++ {
				src := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kc]
				for p, v := range src {
					panel[p*NR+j] = v
				}
			}
			for p := 0; p < kc && nr < NR; p++ {
				clear(panel[p*NR+nr : p*NR+NR])
			}
			continue
		}
		for p := 0; p < kc; p++ {
			row := panel[p*NR : p*NR+NR]
			copy(row[:nr], b[(pc+p)*ldb+j0:(pc+p)*ldb+j0+nr])
			clear(row[nr:])
		}
	}
}

// packTail writes rows [i0, i0+mr) (mr < MR) and columns [pc, pc+kc) of
// A (or of the transpose of the stored matrix a) as one MR-row panel:
// element (r, p) at p*MR + r, rows mr and up zero.
func packTail(dst []float32, trans bool, mr, kc int, a []float32, lda, i0, pc int) {
	for p := 0; p < kc; p++ {
		d := dst[p*MR : p*MR+MR]
		for r := 0; r < mr; r++ {
			if trans {
				d[r] = a[(pc+p)*lda+i0+r]
			} else {
				d[r] = a[(i0+r)*lda+pc+p]
			}
		}
		clear(d[mr:])
	}
}

// Gemm computes C = op(A)*op(B) (or C += op(A)*op(B) with accumulate),
// then applies ep, for an m x n C, where op(A) is m x k (A stored k x m when
// transA) and op(B) is k x n (B stored n x k when transB). A row-major B is
// read in place; a transposed one is packed block by block.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool, ep Epilogue, ws *Workspace) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		zeroDepth(c, ldc, m, n, accumulate, ep)
		return
	}
	full := n / NR * NR
	for pc := 0; pc < k; pc += KC {
		kc := min(KC, k-pc)
		var bb blockB
		if transB {
			ws.packB = grow(ws.packB, kc*roundUp(n, NR))
			packB(ws.packB, true, kc, n, b, ldb, pc)
			bb = blockB{data: ws.packB, colStep: kc, rowStride: NR}
		} else {
			bb = blockB{data: b[pc*ldb:], colStep: 1, rowStride: ldb}
			if full < n {
				ws.packB = grow(ws.packB, kc*NR)
				packB(ws.packB, false, kc, n-full, b[full:], ldb, pc)
				bb.tail = ws.packB
			}
		}
		ws.multiply(transA, m, n, kc, a, lda, pc, &bb, c, ldc, blockFlags(accumulate, pc, kc, k, ep), ep.Bias)
	}
}

// GemmPacked computes C = op(A)*B (or C += op(A)*B), then applies ep, with B
// packed by PackedB.Pack; op(A) is m x k with k = the packed depth.
func GemmPacked(transA bool, m int, a []float32, lda int, b *PackedB, c []float32, ldc int, accumulate bool, ep Epilogue, ws *Workspace) {
	n, k := b.n, b.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		zeroDepth(c, ldc, m, n, accumulate, ep)
		return
	}
	np := roundUp(n, NR)
	for pc := 0; pc < k; pc += KC {
		kc := min(KC, k-pc)
		bb := blockB{data: b.data[pc*np : pc*np+kc*np], colStep: kc, rowStride: NR}
		ws.multiply(transA, m, n, kc, a, lda, pc, &bb, c, ldc, blockFlags(accumulate, pc, kc, k, ep), ep.Bias)
	}
}

// blockFlags returns the kernel flags of block [pc, pc+kc) of a k-deep
// product: accumulate onto C after the first block (or from the start),
// the epilogue with the last.
func blockFlags(accumulate bool, pc, kc, k int, ep Epilogue) int {
	flags := 0
	if accumulate || pc > 0 {
		flags = flagAccumulate
	}
	if pc+kc == k {
		flags |= ep.flags()
	}
	return flags
}

// zeroDepth is a product of depth 0: C = 0 (or C unchanged), then ep.
func zeroDepth(c []float32, ldc, m, n int, accumulate bool, ep Epilogue) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if !accumulate {
			clear(row)
		}
		finishRow(row, nil, ep.flags()|flagAccumulate, ep.Bias)
	}
}

// blockB is the B operand of one kc-deep block: NR-column panel j0 starts
// at data[j0*colStep] and its rows are rowStride apart. When tail is not
// nil it holds the final panel of fewer than NR columns, packed with rows NR
// apart and zero-padded.
type blockB struct {
	data               []float32
	colStep, rowStride int
	tail               []float32
}

// panel returns panel j0 of an n-column, kc-deep block and its row stride.
func (bb *blockB) panel(j0, n, kc int) ([]float32, int) {
	if bb.tail != nil && n-j0 < NR {
		return bb.tail, NR
	}
	start := j0 * bb.colStep
	return bb.data[start : start+(kc-1)*bb.rowStride+NR], bb.rowStride
}

// multiply does one kc-deep block: C (+)= A[:, pc:pc+kc] * B, with the
// flags' epilogue.
func (ws *Workspace) multiply(transA bool, m, n, kc int, a []float32, lda, pc int, bb *blockB, c []float32, ldc int, flags int, bias []float32) {
	ws.packA = grow(ws.packA, MR*KC)
	for i0 := 0; i0 < m; i0 += MC {
		mc := min(MC, m-i0)
		// A is read in place; only a final panel of fewer than MR rows is
		// packed.
		inPlace := mc / MR * MR
		if inPlace < mc {
			packTail(ws.packA, transA, mc-inPlace, kc, a, lda, i0+inPlace, pc)
		}
		for j0 := 0; j0 < n; j0 += NR {
			nr := min(NR, n-j0)
			bpanel, bs := bb.panel(j0, n, kc)
			var tileBias []float32
			if flags&flagBias != 0 {
				tileBias = bias[j0 : j0+nr]
			}
			for r0 := 0; r0 < mc; r0 += MR {
				mr := min(MR, mc-r0)
				ap, rs, cs := ws.packA[:kc*MR], 1, MR
				switch {
				case r0 >= inPlace:
				case transA:
					ap, rs, cs = a[pc*lda+i0+r0:], 1, lda
				default:
					ap, rs, cs = a[(i0+r0)*lda+pc:], lda, 1
				}
				ci := (i0+r0)*ldc + j0
				if mr == MR && nr == NR {
					kernel(kc, ap, rs, cs, bpanel, bs, c[ci:], ldc, flags, tileBias)
					continue
				}
				// Edge tile: compute into the scratch tile, finish the valid part.
				kernel(kc, ap, rs, cs, bpanel, bs, ws.tile[:], NR, 0, nil)
				for r := 0; r < mr; r++ {
					finishRow(c[ci+r*ldc:ci+r*ldc+nr], ws.tile[r*NR:r*NR+nr], flags, tileBias)
				}
			}
		}
	}
}

// finishRow stores a row of products (nil: zeros) into dst as the flags say.
// It is the micro-kernels' store, and the reference for their epilogues.
func finishRow(dst, prod []float32, flags int, bias []float32) {
	for j := range dst {
		var v float32
		if prod != nil {
			v = prod[j]
		}
		if flags&flagAccumulate != 0 {
			v = dst[j] + v
		}
		if flags&flagBias != 0 {
			v += bias[j]
		}
		if flags&flagReLU != 0 && v < 0 {
			v = 0
		}
		dst[j] = v
	}
}

// Impl names the micro-kernel in use: "generic", "avx2" or "avx512".
func Impl() string { return impl }

// kernelFunc is a micro-kernel: the MR x NR tile C (+)= A*B, where element
// (r, p) of A is a[r*rs + p*cs] and element (p, j) of B is b[p*bs + j], then
// the epilogue of flags (bias has NR values when flagBias is set).
type kernelFunc func(kc int, a []float32, rs, cs int, b []float32, bs int, c []float32, ldc, flags int, bias []float32)

// implementation is a named micro-kernel.
type implementation struct {
	name   string
	kernel kernelFunc
}

// impls lists the micro-kernels this CPU runs, the generic one first and
// the preferred one last.
var impls = []implementation{{"generic", kernelGeneric}}

// The micro-kernel in use.
var (
	kernel kernelFunc = kernelGeneric
	impl              = "generic"
)

// use makes k the micro-kernel in use.
func use(k implementation) { kernel, impl = k.kernel, k.name }
