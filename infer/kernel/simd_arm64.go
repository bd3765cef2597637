//go:build arm64 && !purego

package kernel

// blockParams holds the requantisation constants of one block of
// ChannelBlock output channels in the order the assembly loads them.
type blockParams struct {
	bias, mult, left, right [ChannelBlock]int32               // right <= 0: SRSHL shifts right
	biasLanes               [ChannelBlock][ChannelBlock]int32 // channel j's bias in lane 0 of row j: SDOT's initial accumulators
}

// outParams holds the output zero point and clamp, each in every lane, and
// flags that let the tile kernels skip requantisation steps.
type outParams struct {
	zero, min, max [ChannelBlock]int32
	flags          uint64
}

const (
	flagLeftShift = 1 << iota // some channel shifts left
	flagFixup                 // round halves away from zero (not needed under a ReLU clamp)
)

// maxParamBlocks bounds the channel blocks prepared at once (on the stack).
const maxParamBlocks = 64

// simdKernels is one instruction set's GEMM kernels (dot: SDOT, else
// ARMv8.0); the im2col, reblock and pooling kernels are plain ARMv8.0 and
// shared. The assembly is called directly, not through function values, so
// the compiler sees it does not keep pointers and nothing escapes.
type simdKernels struct {
	name string
	dot  bool
}

func (s simdKernels) tiles(out *int8, ldc int, a *int8, rows int, w *int8, nblocks, kp int, p *blockParams, q *outParams) {
	if s.dot {
		gemmTilesSDOT(out, ldc, a, rows, w, nblocks, kp, p, q)
	} else {
		gemmTilesNEON(out, ldc, a, rows, w, nblocks, kp, p, q)
	}
}

func (s simdKernels) row(out *int8, a *int8, w *int8, nblocks, kp int, p *blockParams, q *outParams) {
	if s.dot {
		gemmRowSDOT(out, a, w, nblocks, kp, p, q)
	} else {
		gemmRowNEON(out, a, w, nblocks, kp, p, q)
	}
}

func (s simdKernels) implementation() implementation {
	return implementation{name: s.name, gemm: s.gemm, conv: s.conv, maxPool: maxPool2x2(maxPool2NEON), prepare: prepareNothing,
		depthwise: depthwise3x3(dwRowNEON)}
}

// newOutParams prepares the constants shared by channels [0, n) of rq.
func newOutParams(rq *Requant, n int) outParams {
	var q outParams
	for l := range ChannelBlock {
		q.zero[l], q.min[l], q.max[l] = rq.OutZero, rq.ActMin, rq.ActMax
	}
	for _, sh := range rq.Shift[:n] {
		if sh > 0 {
			q.flags |= flagLeftShift
		}
		if sh < 0 && rq.ActMin < rq.OutZero {
			q.flags |= flagFixup
		}
	}
	return q
}

// prepareBlocks fills p with the constants of channels j0, j0+1, ... of rq;
// lanes at or past n (a partial last block) get zeros.
func prepareBlocks(p []blockParams, rq *Requant, j0, n int) {
	for b := range p {
		for l := range ChannelBlock {
			j := j0 + b*ChannelBlock + l
			bias, mult, sh := channelParams(rq, j, n)
			p[b].bias[l], p[b].mult[l], p[b].left[l], p[b].right[l] = bias, mult, max(sh, 0), min(sh, 0)
			p[b].biasLanes[l] = [ChannelBlock]int32{bias}
		}
	}
}

// channelChunk is the number of channel blocks starting at channel j0 that
// one parameter preparation covers, and how many of them are whole.
func channelChunk(j0, n int) (blocks, whole int) {
	blocks = min(maxParamBlocks, (n-j0+ChannelBlock-1)/ChannelBlock)
	whole = min(blocks, (n-j0)/ChannelBlock)
	return blocks, whole
}

// gemm runs the row kernel on each input row.
func (s simdKernels) gemm(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	if m <= 0 || n <= 0 {
		return
	}
	cut, ok := gemmOperands(out, ldc, a, lda, m, n, k, packed, rq)
	if !ok {
		gemmGeneric(out, ldc, a, lda, m, n, k, packed, rq)
		return
	}
	a, kp := cut, PaddedK(k)
	q := newOutParams(rq, n)
	var params [maxParamBlocks]blockParams
	for j0 := 0; j0 < n; j0 += maxParamBlocks * ChannelBlock {
		blocks, whole := channelChunk(j0, n)
		prepareBlocks(params[:blocks], rq, j0, n)
		for i := range m {
			if whole > 0 {
				s.row(&out[i*ldc+j0], &a[i*lda], &packed[j0*kp], whole, kp, &params[0], &q)
			}
			if whole < blocks {
				j := j0 + whole*ChannelBlock
				var tail [ChannelBlock]int8
				s.row(&tail[0], &a[i*lda], &packed[j*kp], 1, kp, &params[whole], &q)
				copy(out[i*ldc+j:i*ldc+n], tail[:])
			}
		}
	}
}

// conv gathers each output row's patches from padded input rows (gatherNEON),
// interleaves them into tile order (reblockNEON) and runs the tile kernel.
func (s simdKernels) conv(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	if y0 >= y1 || sh.OW <= 0 || sh.OC <= 0 {
		return
	}
	k := sh.K()
	kp := PaddedK(k)
	plan := convOperands(out, in, sh, packed, rq, scratch, y1)
	blocked, panel, rows := scratch[:plan.panel], scratch[plan.panel:plan.rows], scratch[plan.rows:plan.tail]
	mblocks := (sh.OW + tileRows - 1) / tileRows
	q := newOutParams(rq, sh.OC)
	var params [maxParamBlocks]blockParams
	oneChunk := sh.OC <= maxParamBlocks*ChannelBlock
	if oneChunk {
		blocks, _ := channelChunk(0, sh.OC)
		prepareBlocks(params[:blocks], rq, 0, sh.OC)
	}
	padRows(rows, in, sh, y0*sh.SH-sh.PadTop, (y1-y0-1)*sh.SH+sh.KH, plan.pitch)
	for oy := y0; oy < y1; oy++ {
		gatherNEON(&panel[0], kp, &rows[(oy-y0)*sh.SH*plan.pitch], plan.pitch, sh.SW*sh.C, sh.OW, sh.KH, sh.KW*sh.C)
		reblockNEON(&blocked[0], &panel[0], kp, mblocks)
		outRow := out[oy*sh.OW*sh.OC : (oy+1)*sh.OW*sh.OC]
		for j0 := 0; j0 < sh.OC; j0 += maxParamBlocks * ChannelBlock {
			blocks, whole := channelChunk(j0, sh.OC)
			if !oneChunk {
				prepareBlocks(params[:blocks], rq, j0, sh.OC)
			}
			if whole > 0 {
				s.tiles(&outRow[j0], sh.OC, &blocked[0], sh.OW, &packed[j0*kp], whole, kp, &params[0], &q)
			}
			if whole < blocks {
				j := j0 + whole*ChannelBlock
				tail := scratch[plan.tail:plan.total]
				s.tiles(&tail[0], ChannelBlock, &blocked[0], sh.OW, &packed[j*kp], 1, kp, &params[whole], &q)
				for ox := range sh.OW {
					copy(outRow[ox*sh.OC+j:(ox+1)*sh.OC], tail[ox*ChannelBlock:])
				}
			}
		}
	}
}
