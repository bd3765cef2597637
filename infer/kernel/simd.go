//go:build (amd64 || arm64) && !purego

package kernel

// Helpers shared by the assembly paths (AVX2 on amd64, NEON and SDOT on
// arm64).

// padRows writes n input rows from row iy0 on, each padded on the left and
// right (and replaced when outside the image) with PadValue, pitch bytes
// apart: pixel x of a padded row is input pixel x-PadLeft.
func padRows(dst, in []int8, s *ConvShape, iy0, n, pitch int) {
	pw := pitch / s.C
	lo := min(s.PadLeft, pw)
	hi := min(s.PadLeft+s.W, pw)
	for r := range n {
		row := dst[r*pitch : (r+1)*pitch]
		iy := iy0 + r
		if iy < 0 || iy >= s.H {
			fill(row, s.PadValue)
			continue
		}
		fill(row[:lo*s.C], s.PadValue)
		if hi > lo {
			copy(row[lo*s.C:hi*s.C], in[(iy*s.W+lo-s.PadLeft)*s.C:])
		}
		fill(row[hi*s.C:], s.PadValue)
	}
}

// gemmOperands checks and cuts the operands of an optimised GEMM: a to the
// m rows of kp bytes the kernels read, with one bounds check per operand so
// the kernels may index freely. ok is false when the last row of a is not
// readable up to kp within cap(a): only the reference may run then.
func gemmOperands(out []int8, ldc int, a []int8, lda, m, n, k int, packed []int8, rq *Requant) (cut []int8, ok bool) {
	need := (m-1)*lda + PaddedK(k)
	if cap(a) < need {
		return nil, false
	}
	_, _ = out[(m-1)*ldc+n-1], packed[PackedLen(n, k)-1]
	_, _, _ = rq.Bias[n-1], rq.Multiplier[n-1], rq.Shift[n-1]
	return a[:need], true
}

// convOperands plans the scratch of the tiled Conv on s and checks the
// operands of output rows [.., y1) once, so the kernels may index freely.
func convOperands(out, in []int8, s *ConvShape, packed []int8, rq *Requant, scratch []int8, y1 int) convPlan {
	plan := convScratchFast(s)
	_, _ = scratch[plan.total-1], in[s.H*s.W*s.C-1]
	_, _ = out[y1*s.OW*s.OC-1], packed[PackedLen(s.OC, s.K())-1]
	_, _, _ = rq.Bias[s.OC-1], rq.Multiplier[s.OC-1], rq.Shift[s.OC-1]
	return plan
}

// maxPool2x2 makes a MaxPool that runs row, an assembly kernel for one
// output row of 2x2 windows over at least 16 channels, and the reference
// for every other shape.
func maxPool2x2(row func(out, in *int8, ow, c, stride, w int)) func(out, in []int8, h, w, c, pool, stride, y0, y1 int) {
	return func(out, in []int8, h, w, c, pool, stride, y0, y1 int) {
		if pool != 2 || c < 16 {
			maxPoolGeneric(out, in, h, w, c, pool, stride, y0, y1)
			return
		}
		ow := (w-pool)/stride + 1
		if y0 >= y1 || ow <= 0 {
			return
		}
		_ = out[y1*ow*c-1]
		_ = in[(((y1-1)*stride+1)*w+(ow-1)*stride+2)*c-1]
		for oy := y0; oy < y1; oy++ {
			row(&out[oy*ow*c], &in[oy*stride*w*c], ow, c, stride, w)
		}
	}
}

// channelParams is channel j's bias, multiplier and shift, or zeros for a
// lane past the n channels (a partial last block).
func channelParams(rq *Requant, j, n int) (bias, mult, shift int32) {
	if j >= n {
		return 0, 0, 0
	}
	return rq.Bias[j], rq.Multiplier[j], rq.Shift[j]
}
