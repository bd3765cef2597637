//go:build amd64 && !purego

package kernel

// The AVX-512 VNNI path. VPDPBUSD multiplies unsigned by signed bytes, so
// the gather flips activations to unsigned (a+128) and Prepare folds
// -128*sum(weights) of each channel into its bias; integer arithmetic wraps
// the same way either side, so results match the reference bit for bit.

// Implemented in kernel_vnni_amd64.s. rows > 0, groups > 0, steps > 0 (k/4
// rounded up); kp is a multiple of KStep; a holds rows rows of kp unsigned
// bytes (a+128), lda apart; w and p hold groups rounded up to an even
// number.
//
//go:noescape
func gemmTilesVNNI(out *int8, ldc int, a *int8, lda, rows int, w *int8, groups, kp int, p *groupParams, q *vnniOutParams, steps int)

// vnniTileRows is the number of rows of the VNNI kernel's full tiles.
const vnniTileRows = 12

// vnniOutParams holds the output zero point and clamp, broadcast by the
// assembly, and the sink where the results of a pair's missing second
// group go.
type vnniOutParams struct {
	zero, min, max, _ int32
	sink              [groupWidth]int8
}

func newVNNIOutParams(rq *Requant) vnniOutParams {
	return vnniOutParams{zero: rq.OutZero, min: rq.ActMin, max: rq.ActMax}
}

// vnniIndex is the position of weight t of channel j in the VNNI kernel's
// order: groups of groupWidth channels; within a group, per 4 weights of
// the reduction, 4 bytes of each channel in turn.
func vnniIndex(j, t, kp int) int {
	return j/groupWidth*groupWidth*kp + t/4*4*groupWidth + j%groupWidth*4 + t%4
}

// prepareVNNI reorders the weights of rq's n channels of k for the VNNI
// kernel, which computes whole groups in pairs, and derives their
// constants.
func prepareVNNI(rq *Requant, packed []int8, n, k int) {
	kp := PaddedK(k)
	groups, whole := (n+groupWidth-1)/groupWidth, n/groupWidth
	padded := roundUp(whole, 2)
	if whole < groups {
		padded = max(padded, whole+2) // the partial group and its partner
	}
	weights := make([]int8, padded*groupWidth*kp)
	p, ok := newPrepared(rq, packed, n, k, padded, 128, func(j, t int, v int8) { weights[vnniIndex(j, t, kp)] = v })
	p.weights = weights
	if !ok {
		p = prepared{}
	}
	rq.prepared = p
}

func vnniPanel(s *ConvShape) (rows, bytesPerValue int) { return panelRowsFor(s, vnniTileRows, 1), 1 }

// convVNNI is convGroups with the VNNI kernel.
func convVNNI(out, in []int8, sh *ConvShape, packed []int8, rq *Requant, scratch []int8, y0, y1 int) {
	convGroups(out, in, sh, packed, rq, scratch, y0, y1, false)
}
