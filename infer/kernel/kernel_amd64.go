//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// Implemented in kernel_amd64.s. All sizes are positive; kp is a multiple of
// KStep; a holds rows rows of kp bytes, lda apart; w and p hold nblocks
// whole channel blocks.

//go:noescape
func gemmTilesAVX2(out *int8, ldc int, a *int8, lda, rows int, w *int8, nblocks, kp int, p *avxBlockParams, q *avxOutParams)

//go:noescape
func gatherAVX2(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int, flip uint8)

//go:noescape
func maxPool2AVX2(out *int8, in *int8, ow, c, stride, w int)

//go:noescape
func gemmTilesWide(out *int8, ldc int, a *int8, lda, rows int, w *int16, groups, kp int, p *groupParams, q *avxOutParams, steps int)

//go:noescape
func gatherWideAVX2(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int)

func init() {
	if !cpu.X86.HasAVX2 {
		return
	}
	avx2 := implementation{name: "avx2", gemm: gemmAVX2, conv: convWide, maxPool: maxPool2x2(maxPool2AVX2), prepare: prepareWide, panel: widePanel,
		depthwise: depthwise3x3(dwRowAVX2)}
	implementations = append(implementations, avx2)
	active = avx2
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX512VNNI {
		return
	}
	// Dense layers (GEMM) stay on AVX2: one row per call reads every weight
	// once, so loads bound them either way.
	vnni := implementation{name: "avx512vnni", gemm: gemmAVX2, conv: convVNNI, maxPool: avx2.maxPool, prepare: prepareVNNI, panel: vnniPanel,
		depthwise: avx2.depthwise}
	implementations = append(implementations, vnni)
	active = vnni
}

// avxLanes is the number of int32 lanes of a ymm register: a 2-row tile
// requantises row 0's 4 channels in lanes 0-3 and row 1's in lanes 4-7, so
// every per-channel constant is stored twice.
const avxLanes = 2 * ChannelBlock

// avxBlockParams holds the requantisation constants of one block of
// ChannelBlock output channels, each repeated for both rows of a tile, in
// the order the assembly addresses them.
type avxBlockParams struct {
	bias, mult [avxLanes]int32
	left       [avxLanes]int32 // max(Shift, 0)
	right      [avxLanes]int32 // max(-Shift, 0)
	mask, half [avxLanes]int32 // RoundingDivideByPOT's 2^right-1 and its half
}

// avxOutParams holds the output zero point and clamp in every lane.
type avxOutParams struct {
	zero, min, max [avxLanes]int32
}

// avxParamBlocks bounds the channel blocks prepared at once (on the stack).
const avxParamBlocks = 32

// avxTailRows is the number of rows of a partial channel block computed
// into a stack buffer at once.
const avxTailRows = 64

func newAVXOutParams(rq *Requant) avxOutParams {
	var q avxOutParams
	for l := range avxLanes {
		q.zero[l], q.min[l], q.max[l] = rq.OutZero, rq.ActMin, rq.ActMax
	}
	return q
}

// prepareAVXBlocks fills p with the constants of channels j0, j0+1, ... of
// rq; lanes at or past n (a partial last block) get zeros.
func prepareAVXBlocks(p []avxBlockParams, rq *Requant, j0, n int) {
	for b := range p {
		for l := range ChannelBlock {
			j := j0 + b*ChannelBlock + l
			bias, mult, sh := channelParams(rq, j, n)
			right := max(-sh, 0)
			mask := int32(1)<<right - 1
			for _, lane := range [2]int{l, l + ChannelBlock} {
				p[b].bias[lane], p[b].mult[lane] = bias, mult
				p[b].left[lane], p[b].right[lane] = max(sh, 0), right
				p[b].mask[lane], p[b].half[lane] = mask, mask>>1
			}
		}
	}
}

// gemmAVX2 prepares the requantisation constants a chunk of channel blocks
// at a time and runs the tile kernel on them.
func gemmAVX2(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	if m <= 0 || n <= 0 {
		return
	}
	cut, ok := gemmOperands(out, ldc, a, lda, m, n, k, packed, rq)
	if !ok {
		gemmGeneric(out, ldc, a, lda, m, n, k, packed, rq)
		return
	}
	a, kp := cut, PaddedK(k)
	q := newAVXOutParams(rq)
	var params [avxParamBlocks]avxBlockParams
	for j0 := 0; j0 < n; j0 += avxParamBlocks * ChannelBlock {
		p := params[:avxChunkBlocks(j0, n)]
		prepareAVXBlocks(p, rq, j0, n)
		gemmChunkAVX2(out, ldc, a, lda, m, n, kp, j0, packed, p, &q)
	}
}

// avxChunkBlocks is the number of channel blocks, starting at channel j0,
// that one parameter preparation covers.
func avxChunkBlocks(j0, n int) int {
	return min(avxParamBlocks, (n-j0+ChannelBlock-1)/ChannelBlock)
}

// gemmChunkAVX2 runs the tile kernel on the channel blocks of p, the first
// at channel j0: whole blocks straight into out, a partial last block (of
// the n channels) through a stack buffer. a is readable for m rows of kp.
func gemmChunkAVX2(out []int8, ldc int, a []int8, lda, m, n, kp, j0 int, packed []int8, p []avxBlockParams, q *avxOutParams) {
	whole := min(len(p), (n-j0)/ChannelBlock)
	if whole > 0 {
		gemmTilesAVX2(&out[j0], ldc, &a[0], lda, m, &packed[j0*kp], whole, kp, &p[0], q)
	}
	if whole == len(p) {
		return
	}
	j := j0 + whole*ChannelBlock
	var tail [avxTailRows * ChannelBlock]int8
	for i0 := 0; i0 < m; i0 += avxTailRows {
		rows := min(avxTailRows, m-i0)
		gemmTilesAVX2(&tail[0], ChannelBlock, &a[i0*lda], lda, rows, &packed[j*kp], 1, kp, &p[whole], q)
		for i := range rows {
			copy(out[(i0+i)*ldc+j:(i0+i)*ldc+n], tail[i*ChannelBlock:])
		}
	}
}

// convAVX2 pads the input rows once (padRows), then for each output row
// gathers its patches into a row-major panel, kp bytes per pixel
// (gatherAVX2), and runs the tile kernel on it. Panel bytes past k are left
// as they are: they meet zero weights.
func convAVX2(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	if y0 >= y1 || sh.OW <= 0 || sh.OC <= 0 {
		return
	}
	kp := PaddedK(sh.K())
	plan := convOperands(out, in, sh, packed, rq, scratch, y1)
	panel, rows := scratch[plan.panel:plan.rows], scratch[plan.rows:plan.tail]
	q := newAVXOutParams(rq)
	var params [avxParamBlocks]avxBlockParams
	oneChunk := sh.OC <= avxParamBlocks*ChannelBlock
	if oneChunk {
		prepareAVXBlocks(params[:avxChunkBlocks(0, sh.OC)], rq, 0, sh.OC)
	}
	padRows(rows, in, sh, y0*sh.SH-sh.PadTop, (y1-y0-1)*sh.SH+sh.KH, plan.pitch)
	for oy := y0; oy < y1; oy++ {
		gatherAVX2(&panel[0], kp, &rows[(oy-y0)*sh.SH*plan.pitch], plan.pitch, sh.SW*sh.C, sh.OW, sh.KH, sh.KW*sh.C, 0)
		outRow := out[oy*sh.OW*sh.OC : (oy+1)*sh.OW*sh.OC]
		for j0 := 0; j0 < sh.OC; j0 += avxParamBlocks * ChannelBlock {
			p := params[:avxChunkBlocks(j0, sh.OC)]
			if !oneChunk {
				prepareAVXBlocks(p, rq, j0, sh.OC)
			}
			gemmChunkAVX2(outRow, sh.OC, panel, kp, sh.OW, sh.OC, kp, j0, packed, p, &q)
		}
	}
}

// wideTileRows is the number of rows of the wide kernel's full tiles.
const wideTileRows = 4

// wideIndex is the position of weight t of channel j in the wide kernel's
// order: groups of groupWidth channels; within a group, per 2 weights of
// the reduction, 2 int16 of each channel in turn.
func wideIndex(j, t, kp int) int {
	return j/groupWidth*groupWidth*kp + t/2*2*groupWidth + j%groupWidth*2 + t%2
}

// prepareWide widens the weights of rq's n channels of k to int16 in the
// wide kernel's order and derives their constants.
func prepareWide(rq *Requant, packed []int8, n, k int) {
	kp := PaddedK(k)
	groups := (n + groupWidth - 1) / groupWidth
	wide := make([]int16, groups*groupWidth*kp)
	p, ok := newPrepared(rq, packed, n, k, groups, 0, func(j, t int, v int8) { wide[wideIndex(j, t, kp)] = int16(v) })
	p.wide = wide
	if !ok {
		p = prepared{}
	}
	rq.prepared = p
}

func widePanel(s *ConvShape) (rows, bytesPerValue int) {
	return panelRowsFor(s, wideTileRows, 2), 2
}

// convWide is convGroups with the wide AVX2 kernel.
func convWide(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	convGroups(out, in, sh, packed, rq, scratch, y0, y1, true)
}
