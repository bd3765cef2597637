package infer

import "github.com/edgecnn/edgecnn/model"

// LayerOutputs classifies frame rgb (w x h packed RGB, any size) and calls
// fn with every layer's output as float32: int8 outputs dequantised with the
// layer's output scale and zero point. As in Keras, Conv2D and Dense outputs
// follow their activation, and the last layer's output is after the head's
// sigmoid (one value) or softmax. deq is only valid during fn. Unlike the
// classify calls, this allocates.
func (r *Runtime) LayerOutputs(rgb []byte, w, h int, fn func(layer int, deq []float32)) error {
	if err := r.prepare(rgb, w, h); err != nil {
		return err
	}
	next := 0
	for i := range r.m.Layers {
		for next < len(r.ops) && r.opLayer[next] == i {
			r.pool.run(r.ops[next])
			next++
		}
		deq := r.dequantized(i)
		if i == len(r.m.Layers)-1 {
			if r.head.sigmoid {
				deq[0] = sigmoid(deq[0])
			} else {
				activate(deq, append([]float32(nil), deq...), false)
			}
		}
		fn(i, deq)
	}
	return nil
}

// dequantized returns a copy of layer i's output as float32.
func (r *Runtime) dequantized(i int) []float32 {
	t := r.g.layerTensor[i]
	if r.m.DType != model.Int8 {
		return append([]float32(nil), r.arena.float32s(t)...)
	}
	q := r.info[i].Quant.Output
	in := r.arena.int8s(t)
	out := make([]float32, len(in))
	for j, v := range in {
		out[j] = q.Scale * float32(int32(v)-q.ZeroPoint)
	}
	return out
}
