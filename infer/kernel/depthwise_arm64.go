//go:build arm64 && !purego

package kernel

// dwRow3x3NEON computes one output row of a 3x3 depthwise layer from padded
// input rows r0-r2 (see depthwise3x3); w is the packed weights, consts the
// layer's per-group constants. Implemented in depthwise_arm64.s.
//
//go:noescape
func dwRow3x3NEON(out, row0, row1, row2 *int8, w *int8, consts *dwGroupNEON, args *dwArgs)

// dwGroupNEON holds the requantisation constants of one channel group in
// the order the assembly loads them.
type dwGroupNEON struct {
	bias, mult, left [DepthwiseGroup]int32
	right            [DepthwiseGroup]int32 // <= 0: SRSHL shifts right
}

// dwPrepared is what the NEON row kernel reads besides the packed weights.
type dwPrepared struct {
	args   dwArgs
	groups []dwGroupNEON
}

func prepareDepthwise(d *DepthwiseConv) dwPrepared {
	p := dwPrepared{args: newDWArgs(d)}
	p.groups = make([]dwGroupNEON, p.args.groups)
	for g := range p.groups {
		off := p.args.groupOffset(g)
		for l := range DepthwiseGroup {
			bias, mult, sh := channelParams(d.rq, off+l, d.s.C)
			p.groups[g].bias[l], p.groups[g].mult[l] = bias, mult
			p.groups[g].left[l], p.groups[g].right[l] = max(sh, 0), min(sh, 0)
		}
	}
	return p
}

// dwRowNEON is the dwRowKernel of the NEON and SDOT implementations.
func dwRowNEON(out, r0, r1, r2 *int8, d *DepthwiseConv) {
	dwRow3x3NEON(out, r0, r1, r2, &d.packed[0], &d.arch.groups[0], &d.arch.args)
}
