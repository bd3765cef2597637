package infer

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// CanonicalLayout is the unpacked int8 weight layout: [OC][K], K = KH*KW*IC
// in HWC order (see model.LayerQuant).
const CanonicalLayout = "oc-k"

// layoutStride returns the distance between output channels' weight rows
// for the layouts that keep each channel's K weights contiguous (and zero
// padding after them): "oc-k" and "oc-k16".
func layoutStride(layout string, k int) (int, bool) {
	switch layout {
	case CanonicalLayout:
		return k, true
	case "oc-k16":
		return (k + 15) / 16 * 16, true
	}
	return 0, false
}

// checkQuantParams rejects scales and zero points no int8 tensor can have.
func checkQuantParams(q model.QuantParams) error {
	if !(q.Scale > 0) || math.IsInf(float64(q.Scale), 0) {
		return fmt.Errorf("scale %g is not a positive finite number", q.Scale)
	}
	if q.ZeroPoint < -128 || q.ZeroPoint > 127 {
		return fmt.Errorf("zero point %d is outside [-128, 127]", q.ZeroPoint)
	}
	return nil
}

// checkActRange rejects an empty or out-of-range output clamp.
func checkActRange(q *model.LayerQuant) error {
	if q.ActMin < -128 || q.ActMax > 127 || q.ActMin >= q.ActMax {
		return fmt.Errorf("activation range [%d, %d] is not a non-empty part of [-128, 127]", q.ActMin, q.ActMax)
	}
	return nil
}

// checkMultiplier rejects a fixed-point multiplier or shift outside the
// ranges the kernels handle.
func checkMultiplier(mult, shift int32) error {
	if mult != 0 && mult < 1<<30 {
		return fmt.Errorf("multiplier %d is outside [2^30, 2^31)", mult)
	}
	if shift < -31 || shift > 30 {
		return fmt.Errorf("shift %d is outside [-31, 30]", shift)
	}
	return nil
}

// int32Tensor reads the int32 tensor name, which must hold n values.
func int32Tensor(m *model.Model, name, what string, n int) ([]int32, error) {
	t, err := m.Tensor(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if t.DType != model.Int32 || t.Elems() != n {
		return nil, fmt.Errorf("%s %q is %s%v, want int32[%d]", what, name, t.DType, t.Shape, n)
	}
	return t.Int32s()
}

// loadInt8Weights returns the packed weights (in place when the model's
// layout is kernel.Layout, else repacked once) and the requantisation of a
// Conv2D or Dense with oc output channels of k weights each.
func loadInt8Weights(m *model.Model, q *model.LayerQuant, oc, k int) ([]int8, kernel.Requant, error) {
	packed, err := packedWeights(m, q, oc, k)
	if err != nil {
		return nil, kernel.Requant{}, err
	}
	rq, err := loadRequant(m, q, oc)
	return packed, rq, err
}

// loadRequant reads and checks the requantisation of oc output channels:
// bias, multipliers, shifts and, when named, the weight scales.
func loadRequant(m *model.Model, q *model.LayerQuant, oc int) (kernel.Requant, error) {
	rq := kernel.Requant{OutZero: q.Output.ZeroPoint, ActMin: q.ActMin, ActMax: q.ActMax}
	var err error
	if rq.Bias, err = int32Tensor(m, q.Bias, "bias", oc); err != nil {
		return rq, err
	}
	if rq.Multiplier, err = int32Tensor(m, q.Multiplier, "multiplier", oc); err != nil {
		return rq, err
	}
	if rq.Shift, err = int32Tensor(m, q.Shift, "shift", oc); err != nil {
		return rq, err
	}
	for c := range oc {
		if err := checkMultiplier(rq.Multiplier[c], rq.Shift[c]); err != nil {
			return rq, fmt.Errorf("channel %d: %w", c, err)
		}
	}
	if q.WeightScales != "" {
		t, err := m.Tensor(q.WeightScales)
		if err != nil {
			return rq, err
		}
		if t.DType != model.Float32 || t.Elems() != oc {
			return rq, fmt.Errorf("weight scales %q are %s%v, want float32[%d]", q.WeightScales, t.DType, t.Shape, oc)
		}
	}
	return rq, nil
}

// DepthwiseCanonicalLayout is the unpacked depthwise weight layout:
// [KH][KW][C], Keras' order with the depth multiplier of 1 dropped.
const DepthwiseCanonicalLayout = "hwc"

// depthwiseWeights returns a DepthwiseConv2D's weights in
// kernel.DepthwiseLayout: the model's bytes when stored that way, else
// packed from DepthwiseCanonicalLayout.
func depthwiseWeights(m *model.Model, q *model.LayerQuant, kh, kw, c int) ([]int8, error) {
	w, err := int8Weights(m, q)
	if err != nil {
		return nil, err
	}
	switch q.WeightLayout {
	case kernel.DepthwiseLayout:
		if want := kernel.DepthwisePackedLen(kh, kw, c); len(w) != want {
			return nil, fmt.Errorf("weights %q hold %d values, want %d for %dx%dx%d in layout %q", q.Weights, len(w), want, kh, kw, c, q.WeightLayout)
		}
		return w, nil
	case DepthwiseCanonicalLayout:
		if len(w) != kh*kw*c {
			return nil, fmt.Errorf("weights %q hold %d values, want %d for %dx%dx%d in layout %q", q.Weights, len(w), kh*kw*c, kh, kw, c, q.WeightLayout)
		}
		packed := make([]int8, kernel.DepthwisePackedLen(kh, kw, c))
		kernel.PackDepthwise(packed, w, kh, kw, c)
		return packed, nil
	}
	return nil, fmt.Errorf("depthwise weight layout %q is not supported (this build reads %q and %q)", q.WeightLayout, DepthwiseCanonicalLayout, kernel.DepthwiseLayout)
}

// int8Weights reads the int8 weight tensor of q, refusing -128.
func int8Weights(m *model.Model, q *model.LayerQuant) ([]int8, error) {
	t, err := m.Tensor(q.Weights)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	w, err := t.Int8s()
	if err != nil {
		return nil, err
	}
	for i, v := range w {
		if v == -128 {
			return nil, fmt.Errorf("weights %q: value %d is -128; weights must be in [-127, 127]", q.Weights, i)
		}
	}
	return w, nil
}

// packedWeights returns the weights in kernel.Layout: the model's bytes
// themselves when it was packed for this build, else a repacked copy.
func packedWeights(m *model.Model, q *model.LayerQuant, oc, k int) ([]int8, error) {
	w, err := int8Weights(m, q)
	if err != nil {
		return nil, err
	}
	if q.WeightLayout == kernel.Layout {
		if want := kernel.PackedLen(oc, k); len(w) != want {
			return nil, weightCountErr(q, len(w), want, oc, k)
		}
		return w, nil
	}
	rows, err := weightRows(q, w, oc, k)
	if err != nil {
		return nil, err
	}
	packed := make([]int8, kernel.PackedLen(oc, k))
	kernel.Pack(packed, rows, oc, k)
	return packed, nil
}

// weightRows returns w, stored in one of the row layouts layoutStride
// knows, as canonical [oc][k] rows.
func weightRows(q *model.LayerQuant, w []int8, oc, k int) ([]int8, error) {
	stride, ok := layoutStride(q.WeightLayout, k)
	if !ok {
		return nil, fmt.Errorf("weight layout %q is not supported (this build reads %q, %q and %q)", q.WeightLayout, CanonicalLayout, "oc-k16", kernel.Layout)
	}
	if len(w) != oc*stride {
		return nil, weightCountErr(q, len(w), oc*stride, oc, k)
	}
	if stride == k {
		return w, nil
	}
	rows := make([]int8, oc*k)
	for c := range oc {
		copy(rows[c*k:(c+1)*k], w[c*stride:])
	}
	return rows, nil
}

func weightCountErr(q *model.LayerQuant, got, want, oc, k int) error {
	return fmt.Errorf("weights %q hold %d values, want %d for %d channels of %d in layout %q", q.Weights, got, want, oc, k, q.WeightLayout)
}
