//go:build amd64 && !purego

package kernel

import "unsafe"

// The AVX-512 VNNI path. VPDPBUSD multiplies unsigned by signed bytes, so
// the tile kernel flips activations to unsigned (a+128) and Prepare folds
// -128*sum(weights) of each channel into its bias; integer arithmetic wraps
// the same way either side, so results match the reference bit for bit.
// Prepare also copies the weights into the order the kernel reads (see
// vnniOrder), so its accumulators hold whole channels and need no
// horizontal reduction.

// Implemented in kernel_vnni_amd64.s. rows > 0, groups > 0, steps > 0 (k/4
// rounded up); kp is a multiple of KStep; a holds rows rows of kp unsigned
// bytes (a+128), lda apart; w and p hold groups rounded up to an even
// number.
//
//go:noescape
func gemmTilesVNNI(out *int8, ldc int, a *int8, lda, rows int, w *int8, groups, kp int, p *vnniParams, q *vnniOutParams, steps int)

// vnniGroup is the number of output channels (one zmm of int32 lanes) of a
// group; the tile kernel computes groups in pairs.
const vnniGroup = 16

// vnniParams holds the requantisation constants of one group of vnniGroup
// channels, one per int32 lane, in the order the assembly addresses them.
type vnniParams struct {
	bias       [vnniGroup]int32 // Bias - 128*sum(weights)
	mult       [vnniGroup]int32
	multOdd    [vnniGroup]int32 // lane 2i: the multiplier of lane 2i+1
	left       [vnniGroup]int32 // max(Shift, 0)
	right      [vnniGroup]int32 // max(-Shift, 0)
	mask, half [vnniGroup]int32 // RoundingDivideByPOT's 2^right-1 and its half
}

// vnniOutParams holds the output zero point and clamp, broadcast by the
// assembly, and the sink where the results of a pair's missing second
// group go.
type vnniOutParams struct {
	zero, min, max, _ int32
	sink              [vnniGroup]int8
}

func newVNNIOutParams(rq *Requant) vnniOutParams {
	return vnniOutParams{zero: rq.OutZero, min: rq.ActMin, max: rq.ActMax}
}

// prepared holds, for the n channels Prepare saw, their weights in the
// kernel's order and their constants, in groups (a partial last one padded
// with zeros) and, where the kernel pairs a group with one past the end, a
// group of zeros.
type prepared struct {
	n       int
	groups  int
	weights []int8
	params  []vnniParams
}

func (p *prepared) bytes() int {
	return len(p.weights) + len(p.params)*int(unsafe.Sizeof(vnniParams{}))
}

// vnniIndex is the position of weight t of channel j in the kernel's order:
// groups of vnniGroup channels; within a group, per 4 weights of the
// reduction, 4 bytes of each channel in turn (kp bytes per channel).
func vnniIndex(j, t, kp int) int {
	return j/vnniGroup*vnniGroup*kp + t/4*4*vnniGroup + j%vnniGroup*4 + t%4
}

// prepareVNNI reorders the weights of rq's n channels of k and derives
// their constants. A multiplier of -2^31 (outside Requant's range) leaves rq
// unprepared: only the reference and AVX2 paths saturate its one overflow.
func prepareVNNI(rq *Requant, packed []int8, n, k int) {
	rq.prepared = prepared{}
	for _, m := range rq.Multiplier[:n] {
		if m == -1<<31 {
			return
		}
	}
	kp := PaddedK(k)
	groups, whole := (n+vnniGroup-1)/vnniGroup, n/vnniGroup
	padded := roundUp(whole, 2) // whole groups go in pairs
	if whole < groups {
		padded = max(padded, whole+2) // the partial group and its partner
	}
	p := prepared{n: n, groups: groups, weights: make([]int8, padded*vnniGroup*kp), params: make([]vnniParams, padded)}
	for j := range n {
		var sum int32
		for t := range k {
			v := packed[packedIndex(j, t, kp)]
			p.weights[vnniIndex(j, t, kp)] = v
			sum += int32(v)
		}
		g, l := &p.params[j/vnniGroup], j%vnniGroup
		sh := rq.Shift[j]
		right := max(-sh, 0)
		g.bias[l], g.mult[l] = rq.Bias[j]-128*sum, rq.Multiplier[j]
		g.left[l], g.right[l] = max(sh, 0), right
		g.mask[l] = int32(1)<<right - 1
		g.half[l] = g.mask[l] >> 1
	}
	for g := range p.params {
		for l := 0; l < vnniGroup; l += 2 {
			p.params[g].multOdd[l] = p.params[g].mult[l+1]
		}
	}
	rq.prepared = p
}

// vnniGroups is the number of channel groups (the last one possibly
// partial) the VNNI kernel computes for n channels of rq: none unless
// Prepare saw these n channels.
func vnniGroups(rq *Requant, n int) int {
	if rq.prepared.n != n {
		return 0
	}
	return rq.prepared.groups
}

// vnniTileRows is the number of rows of the tile kernel's full tiles.
const vnniTileRows = 12

// vnniPanelBudget bounds the panel of vnniPanelRows (bytes).
const vnniPanelBudget = 128 << 10

// vnniPanelRows is the number of output rows of s convVNNI gathers at once:
// enough for whole full tiles (none overlapping) when that fits
// vnniPanelBudget, else enough for one full tile.
func vnniPanelRows(s *ConvShape) int {
	rows := vnniTileRows / gcd(s.OW, vnniTileRows)
	if rows*s.OW*PaddedK(s.K()) > vnniPanelBudget {
		rows = (vnniTileRows + s.OW - 1) / s.OW
	}
	return rows
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// convVNNI pads the input rows once (padRows), then gathers the patches of
// vnniPanelRows output rows into the panel as unsigned bytes
// (gatherAVX2 flipping by 0x80) and runs the tile kernel on them: whole
// channel groups straight into out, a partial last group through the tail
// buffer. Unprepared constants take the AVX2 path.
func convVNNI(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	groups := vnniGroups(rq, sh.OC)
	if groups == 0 {
		convAVX2(out, in, sh, packed, rq, scratch, y0, y1)
		return
	}
	if y0 >= y1 || sh.OW <= 0 {
		return
	}
	kp, steps := PaddedK(sh.K()), (sh.K()+3)/4
	plan := convOperands(out, in, sh, packed, rq, scratch, y1)
	panel, rows, tail := scratch[plan.panel:plan.rows], scratch[plan.rows:plan.tail], scratch[plan.tail:plan.total]
	p := &rq.prepared
	whole := sh.OC / vnniGroup
	q := newVNNIOutParams(rq)
	pass := vnniPanelRows(sh)
	padRows(rows, in, sh, y0*sh.SH-sh.PadTop, (y1-y0-1)*sh.SH+sh.KH, plan.pitch)
	for oy := y0; oy < y1; oy += pass {
		n := min(pass, y1-oy)
		for r := range n {
			gatherAVX2(&panel[r*sh.OW*kp], kp, &rows[(oy+r-y0)*sh.SH*plan.pitch], plan.pitch, sh.SW*sh.C, sh.OW, sh.KH, sh.KW*sh.C, 0x80)
		}
		m := n * sh.OW
		outRows := out[oy*sh.OW*sh.OC : (oy+n)*sh.OW*sh.OC]
		if whole > 0 {
			gemmTilesVNNI(&outRows[0], sh.OC, &panel[0], kp, m, &p.weights[0], whole, kp, &p.params[0], &q, steps)
		}
		if whole < groups {
			j := whole * vnniGroup
			gemmTilesVNNI(&tail[0], vnniGroup, &panel[0], kp, m, &p.weights[j*kp], 1, kp, &p.params[whole], &q, steps)
			for i := range m {
				copy(outRows[i*sh.OC+j:(i+1)*sh.OC], tail[i*vnniGroup:])
			}
		}
	}
}
