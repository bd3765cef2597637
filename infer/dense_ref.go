package infer

import "github.com/edgecnn/edgecnn/infer/kernel"

// denseRef is the specification of the int8 Dense layer for output units
// [j0, j1): out[j] = RequantOne(Bias[j] + sum_k in[k] * w[j*ldw + k]) over
// k < K. Flatten is a no-op before it: activations are NHWC, so the flat
// order is the memory order.
func denseRef(out, in []int8, k int, w []int8, ldw int, rq *kernel.Requant, j0, j1 int) {
	for j := j0; j < j1; j++ {
		acc := rq.Bias[j]
		wj := w[j*ldw : j*ldw+k]
		for i, x := range in[:k] {
			acc += int32(x) * int32(wj[i])
		}
		out[j] = kernel.RequantOne(acc, rq.Multiplier[j], rq.Shift[j], rq)
	}
}
