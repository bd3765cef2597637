//go:build amd64 && !purego

package kernel

// dwRow3x3AVX2 computes one output row of a 3x3 depthwise layer from padded
// input rows row0-row2 (see depthwise3x3); w and consts are the layer's
// per-group weights and constants. Implemented in depthwise_amd64.s.
//
//go:noescape
func dwRow3x3AVX2(out, row0, row1, row2 *int8, w *int16, consts *dwGroupAVX, args *dwArgs)

// The AVX2 kernel multiplies two taps at once with VPMADDWD on int16 pairs
// (tap a, tap b) of each channel, so a group's int32 lanes come out of
// VPUNPCKLWD/VPUNPCKHWD in the order dwLaneChannel gives: the low
// accumulator holds channels 0-3 and 8-11, the high one 4-7 and 12-15, and
// VPACKSSDW puts them back in order.
func dwLaneChannel(l int) int { return l&3 | (l>>2&1)<<3 | (l>>3&1)<<2 }

// dwPairs is the number of tap pairs of a 3x3 window (the last pairs tap 8
// with a zero weight).
const dwPairs = 5

// dwGroupAVX holds the requantisation constants of one channel group, lane
// l for channel dwLaneChannel(l), in the order the assembly addresses them.
type dwGroupAVX struct {
	bias, mult, left [DepthwiseGroup]int32
	right            [DepthwiseGroup]int32 // max(-Shift, 0)
	mask, half       [DepthwiseGroup]int32 // RoundingDivideByPOT's 2^right-1 and its half
}

// dwPrepared is what the AVX2 row kernel reads: per group, the weights as
// int16 tap pairs in lane order, and the constants.
type dwPrepared struct {
	args   dwArgs
	groups []dwGroupAVX
	wide   []int16 // [group][pair][lane][tap of the pair]
}

func prepareDepthwise(d *DepthwiseConv) dwPrepared {
	p := dwPrepared{args: newDWArgs(d)}
	if d.s.KH != 3 || d.s.KW != 3 {
		return p
	}
	cp := depthwisePaddedC(d.s.C)
	p.groups = make([]dwGroupAVX, p.args.groups)
	p.wide = make([]int16, p.args.groups*dwPairs*2*DepthwiseGroup)
	for g := range p.groups {
		off := p.args.groupOffset(g)
		for l := range DepthwiseGroup {
			ch := off + dwLaneChannel(l)
			bias, mult, sh := channelParams(d.rq, ch, d.s.C)
			right := max(-sh, 0)
			k := &p.groups[g]
			k.bias[l], k.mult[l], k.left[l], k.right[l] = bias, mult, max(sh, 0), right
			k.mask[l] = int32(1)<<right - 1
			k.half[l] = k.mask[l] >> 1
			for pair := range dwPairs {
				for t := range 2 {
					if tap := 2*pair + t; tap < 9 {
						p.wide[((g*dwPairs+pair)*DepthwiseGroup+l)*2+t] = int16(d.packed[tap*cp+ch])
					}
				}
			}
		}
	}
	return p
}

// dwRowAVX2 is the dwRowKernel of the AVX2 and AVX-512 VNNI implementations.
func dwRowAVX2(out, r0, r1, r2 *int8, d *DepthwiseConv) {
	dwRow3x3AVX2(out, r0, r1, r2, &d.arch.wide[0], &d.arch.groups[0], &d.arch.args)
}
