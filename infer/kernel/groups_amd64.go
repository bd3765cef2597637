//go:build amd64 && !purego

package kernel

import "unsafe"

// Both amd64 tile kernels (AVX-512 VNNI and AVX2) compute groups of
// groupWidth output channels with one int32 lane per channel, on a copy of
// the weights Prepare reorders so that lane c meets channel c's next 4 bytes
// of the reduction (4 int8 for VPDPBUSD, 2 int16 for VPMADDWD). Their
// accumulators so hold whole channels and need no horizontal reduction.

// groupWidth is the number of output channels of a group.
const groupWidth = 16

// groupParams holds the requantisation constants of one group, one per
// int32 lane, in the order the assembly addresses them.
type groupParams struct {
	bias       [groupWidth]int32 // Bias, less 128*sum(weights) on VNNI
	mult       [groupWidth]int32
	multOdd    [groupWidth]int32 // lane 2i: the multiplier of lane 2i+1
	left       [groupWidth]int32 // max(Shift, 0)
	right      [groupWidth]int32 // max(-Shift, 0)
	mask, half [groupWidth]int32 // RoundingDivideByPOT's 2^right-1 and its half
}

// prepared holds, for the n channels Prepare saw, their weights in one
// kernel's order (weights for VNNI, wide for AVX2) and their constants, in
// groups (a partial last one padded with zeros) and, where a kernel reads
// one group past the end, a group of zeros.
type prepared struct {
	n       int
	groups  int
	weights []int8
	wide    []int16
	params  []groupParams
}

func (p *prepared) bytes() int {
	return len(p.weights) + 2*len(p.wide) + len(p.params)*int(unsafe.Sizeof(groupParams{}))
}

// newPrepared derives the constants of rq's n channels into padded groups,
// taking biasOffset*sum(weights) off each bias, and hands every weight t of
// channel j to put. ok is false when a multiplier is -2^31 (outside
// Requant's range): the tile kernels do not saturate its one overflow.
func newPrepared(rq *Requant, packed []int8, n, k, padded int, biasOffset int32, put func(j, t int, v int8)) (p prepared, ok bool) {
	for _, m := range rq.Multiplier[:n] {
		if m == -1<<31 {
			return prepared{}, false
		}
	}
	kp := PaddedK(k)
	p = prepared{n: n, groups: (n + groupWidth - 1) / groupWidth, params: make([]groupParams, padded)}
	for j := range n {
		var sum int32
		for t := range k {
			v := packed[packedIndex(j, t, kp)]
			put(j, t, v)
			sum += int32(v)
		}
		g, l := &p.params[j/groupWidth], j%groupWidth
		sh := rq.Shift[j]
		right := max(-sh, 0)
		g.bias[l], g.mult[l] = rq.Bias[j]-biasOffset*sum, rq.Multiplier[j]
		g.left[l], g.right[l] = max(sh, 0), right
		g.mask[l] = int32(1)<<right - 1
		g.half[l] = g.mask[l] >> 1
	}
	for g := range p.params {
		for l := 0; l < groupWidth; l += 2 {
			p.params[g].multOdd[l] = p.params[g].mult[l+1]
		}
	}
	return p, true
}

// preparedGroups is the number of channel groups (the last one possibly
// partial) a tile kernel computes for n channels of rq: none unless Prepare
// saw these n channels for it (wide: the AVX2 kernel).
func preparedGroups(rq *Requant, n int, wide bool) int {
	p := &rq.prepared
	if p.n != n || (wide && p.wide == nil) || (!wide && p.weights == nil) {
		return 0
	}
	return p.groups
}

// panelRowsFor is the number of output rows of s whose patches a conv with
// tileRows-row tiles gathers at once: enough for whole tiles (none
// overlapping) when that fits panelBudget bytes, else enough for one tile.
func panelRowsFor(s *ConvShape, tileRows, bytesPerValue int) int {
	const panelBudget = 128 << 10
	rows := tileRows / gcd(s.OW, tileRows)
	if rows*s.OW*PaddedK(s.K())*bytesPerValue > panelBudget {
		rows = (tileRows + s.OW - 1) / s.OW
	}
	return rows
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// convGroups pads the input rows once (padRows), then gathers the patches
// of the panel's output rows: unsigned bytes for the VNNI kernel
// (gatherAVX2 flipping by 0x80) or int16 for the wide AVX2 one
// (gatherWideAVX2), and runs the tile kernel on them: whole channel groups
// straight into out, a partial last group through the tail buffer.
// Unprepared constants take convAVX2.
func convGroups(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int, wide bool) {
	groups := preparedGroups(rq, sh.OC, wide)
	if groups == 0 {
		convAVX2(out, in, sh, packed, rq, scratch, y0, y1)
		return
	}
	if y0 >= y1 || sh.OW <= 0 {
		return
	}
	g := newGroupConv(out, in, sh, packed, rq, scratch, y1, groups, wide)
	vq, wq := newVNNIOutParams(rq), newAVXOutParams(rq)
	padRows(g.rows, in, sh, y0*sh.SH-sh.PadTop, (y1-y0-1)*sh.SH+sh.KH, g.pitch)
	for oy := y0; oy < y1; oy += g.pass {
		n := min(g.pass, y1-oy)
		for r := range n {
			src := &g.rows[(oy+r-y0)*sh.SH*g.pitch]
			if wide {
				gatherWideAVX2(&g.panel[2*r*sh.OW*g.kp], g.kp, src, g.pitch, sh.SW*sh.C, sh.OW, sh.KH, sh.KW*sh.C)
			} else {
				gatherAVX2(&g.panel[r*sh.OW*g.kp], g.kp, src, g.pitch, sh.SW*sh.C, sh.OW, sh.KH, sh.KW*sh.C, 0x80)
			}
		}
		m := n * sh.OW
		outRows := out[oy*sh.OW*sh.OC : (oy+n)*sh.OW*sh.OC]
		if g.whole > 0 {
			g.tiles(outRows, sh.OC, m, 0, g.whole, &rq.prepared, &vq, &wq)
		}
		if g.whole < g.groups {
			g.tiles(g.tail, groupWidth, m, g.whole, 1, &rq.prepared, &vq, &wq)
			j := g.whole * groupWidth
			for i := range m {
				copy(outRows[i*sh.OC+j:(i+1)*sh.OC], g.tail[i*groupWidth:])
			}
		}
	}
}

// groupConv is the plan of convGroups.
type groupConv struct {
	wide              bool
	kp, steps         int    // padded k; 4-byte steps of the reduction
	pitch             int    // bytes of a padded input row
	pass              int    // output rows per panel
	panel, rows, tail []int8 // scratch
	whole, groups     int
}

// newGroupConv checks the operands of output rows [.., y1) and places the
// panel, the padded input rows and the tail buffer in scratch.
func newGroupConv(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y1, groups int, wide bool) groupConv {
	plan := convOperands(out, in, sh, packed, rq, scratch, y1)
	k, width, tileRows := sh.K(), 1, vnniTileRows
	if wide {
		width, tileRows = 2, wideTileRows
	}
	return groupConv{
		wide: wide, kp: PaddedK(k), steps: (k*width + 3) / 4, pitch: plan.pitch,
		pass:  panelRowsFor(sh, tileRows, width),
		panel: scratch[plan.panel:plan.rows], rows: scratch[plan.rows:plan.tail], tail: scratch[plan.tail:plan.total],
		whole: sh.OC / groupWidth, groups: groups,
	}
}

// tiles runs the tile kernel on m panel rows and n channel groups from
// group first on, into out (ldc apart).
func (g *groupConv) tiles(out []int8, ldc, m, first, n int, p *prepared, vq *vnniOutParams, wq *avxOutParams) {
	w := first * groupWidth * g.kp
	if g.wide {
		gemmTilesWide(&out[0], ldc, &g.panel[0], 2*g.kp, m, &p.wide[w], n, g.kp, &p.params[first], wq, g.steps)
		return
	}
	gemmTilesVNNI(&out[0], ldc, &g.panel[0], g.kp, m, &p.weights[w], n, g.kp, &p.params[first], vq, g.steps)
}
