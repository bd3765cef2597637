//go:build amd64 && !purego

package kernel

// The AVX-512 VNNI path: VPDPBUSD multiplies unsigned by signed bytes, so
// the tile kernel flips activations to unsigned (a+128) and Prepare folds
// -128*sum(weights) of each channel into its bias. Integer arithmetic wraps
// the same way either side, so results match the reference bit for bit.

// Implemented in kernel_vnni_amd64.s. rows > 0, groups > 0; kp is a
// multiple of KStep; a holds rows rows of kp bytes, lda apart; w holds
// groups*vnniGroup channels in Layout; p holds groups parameter groups.
//
//go:noescape
func gemmTilesVNNI(out *int8, ldc int, a *int8, lda, rows int, w *int8, groups, kp int, p *vnniParams, q *vnniOutParams)

// vnniGroup is the number of output channels (4 packed blocks) the tile
// kernel computes together.
const vnniGroup = 4 * ChannelBlock

// vnniParams holds the requantisation constants of one group of vnniGroup
// channels, one per int32 lane, in the order the assembly addresses them.
type vnniParams struct {
	bias       [vnniGroup]int32 // Bias - 128*sum(weights)
	mult       [vnniGroup]int32
	left       [vnniGroup]int32 // max(Shift, 0)
	right      [vnniGroup]int32 // max(-Shift, 0)
	mask, half [vnniGroup]int32 // RoundingDivideByPOT's 2^right-1 and its half
}

// vnniOutParams holds the output zero point and clamp, broadcast by the
// assembly.
type vnniOutParams struct {
	zero, min, max int32
}

func newVNNIOutParams(rq *Requant) vnniOutParams {
	return vnniOutParams{zero: rq.OutZero, min: rq.ActMin, max: rq.ActMax}
}

// prepared holds the VNNI constants of the whole groups of the n channels
// Prepare saw.
type prepared struct {
	n    int
	vnni []vnniParams
}

// prepareVNNI derives the group constants of rq's n channels from their k
// packed weights.
func prepareVNNI(rq *Requant, packed []int8, n, k int) {
	kp := PaddedK(k)
	groups := make([]vnniParams, n/vnniGroup)
	for g := range groups {
		p := &groups[g]
		for l := range vnniGroup {
			j := g*vnniGroup + l
			var sum int32
			for t := range k {
				sum += int32(packed[packedIndex(j, t, kp)])
			}
			sh := rq.Shift[j]
			right := max(-sh, 0)
			p.bias[l], p.mult[l] = rq.Bias[j]-128*sum, rq.Multiplier[j]
			p.left[l], p.right[l] = max(sh, 0), right
			p.mask[l] = int32(1)<<right - 1
			p.half[l] = p.mask[l] >> 1
		}
	}
	rq.prepared = prepared{n: n, vnni: groups}
}

// vnniGroups is the number of whole channel groups the VNNI kernel may run
// for n channels of rq: none unless Prepare saw these n channels.
func vnniGroups(rq *Requant, n int) int {
	if rq.prepared.n != n {
		return 0
	}
	return len(rq.prepared.vnni)
}

// gemmVNNI runs the VNNI tile kernel on the whole channel groups and the
// AVX2 one on the channels after them.
func gemmVNNI(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) {
	groups := vnniGroups(rq, n)
	if m <= 0 || groups == 0 {
		gemmAVX2(out, ldc, a, lda, m, n, k, packed, rq)
		return
	}
	cut, ok := gemmOperands(out, ldc, a, lda, m, n, k, packed, rq)
	if !ok {
		gemmGeneric(out, ldc, a, lda, m, n, k, packed, rq)
		return
	}
	kp := PaddedK(k)
	q := newVNNIOutParams(rq)
	gemmTilesVNNI(&out[0], ldc, &cut[0], lda, m, &packed[0], groups, kp, &rq.prepared.vnni[0], &q)
	if first := groups * vnniGroup; first < n {
		gemmAVX2From(out, ldc, cut, lda, m, n, kp, first, packed, rq)
	}
}

// convVNNI is convX86 with the VNNI kernel on the whole channel groups.
func convVNNI(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	convX86(out, in, sh, packed, rq, scratch, y0, y1, vnniGroups(rq, sh.OC))
}
