package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/sgemm"
)

// dense is Keras' Dense on a vector input: kernel [in, units], bias
// [units], fused activation.
type dense struct {
	layerInfo
	units        int
	act          activation
	kernel, bias *param

	ws      []sgemm.Workspace
	packedT sgemm.PackedB // the kernel's transpose, for the input gradient
	call    pass          // the forward or backward call in progress
}

func newDense(units int, act activation) *dense {
	return &dense{layerInfo: layerInfo{kind: model.Dense}, units: units, act: act}
}

func (d *dense) build(in shape, rng *rand.Rand) error {
	if d.units <= 0 {
		return fmt.Errorf("units must be positive, got %d", d.units)
	}
	if !in.flat {
		return fmt.Errorf("needs a vector input, got %dx%dx%d (add a Flatten or GlobalAveragePooling2D layer first)", in.H, in.W, in.C)
	}
	if err := checkLayerSize([]int{in.C, d.units}, []int{d.units}); err != nil {
		return err
	}
	d.in, d.out = in, shape{H: 1, W: 1, C: d.units, flat: true}
	d.kernel = newParam("kernel", true, in.C, d.units)
	d.bias = newParam("bias", true, d.units)
	d.params = []*param{d.kernel, d.bias}
	glorotUniform(d.kernel, in.C, d.units, rng)
	return nil
}

func (d *dense) alloc(threads, maxBatch int) {
	d.ws = make([]sgemm.Workspace, threads)
	for _, p := range d.params {
		p.allocPartials(threads)
	}
}

func (d *dense) forward(e *engine, in, out []float32, n int, training bool) {
	d.call = pass{in: in, out: out}
	e.run(n, d)
}

func (d *dense) backward(e *engine, in, out, dout, din []float32, n int) {
	if din != nil {
		d.packedT.Pack(true, d.units, d.in.C, d.kernel.value, d.units)
	}
	d.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	e.run(n, d)
	d.kernel.reducePartials()
	d.bias.reducePartials()
}

func (d *dense) part(w, b0, b1 int) {
	ni, u := d.in.C, d.units
	in, out := d.call.in[b0*ni:b1*ni], d.call.out[b0*u:b1*u]
	if !d.call.backward {
		sgemm.Gemm(false, false, b1-b0, u, ni, in, ni, d.kernel.value, u, out, u, false, d.act.epilogue(d.bias.value), &d.ws[w])
		d.act.applyUnfused(out, u)
		return
	}
	if b0 == b1 {
		return
	}
	dz := d.call.dout[b0*u : b1*u]
	d.act.backward(dz, out, u)
	sumRows(d.bias.partial[w], dz)
	sgemm.Gemm(true, false, ni, u, b1-b0, in, ni, dz, u, d.kernel.partial[w], u, true, sgemm.Epilogue{}, &d.ws[w])
	if d.call.din != nil {
		sgemm.GemmPacked(false, b1-b0, dz, u, &d.packedT, d.call.din[b0*ni:b1*ni], ni, false, sgemm.Epilogue{}, &d.ws[w])
	}
}
