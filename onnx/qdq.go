package onnx

import (
	"errors"
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
	"github.com/edgecnn/edgecnn/quantize"
)

// A quantised ONNX model in QDQ form (as ONNX Runtime's quantize_static
// writes it) stores weights as int8 constants behind DequantizeLinear, and
// puts QuantizeLinear -> DequantizeLinear pairs on the activations. Import
// folds the weights' DequantizeLinear into float constants, reads each
// activation pair's scale and zero point as the output quantisation of the
// layer that computes it, and hands the float graph and those parameters to
// quantize, which requantises the weights per output channel (the file's
// symmetric int8 weights come back unchanged) without recalibration.

// dequantizeConst folds DequantizeLinear of a constant: (x - zero_point) *
// scale, per tensor or along axis.
func (b *builder) dequantizeConst(n *onnxpb.NodeProto, a attrs) error {
	x := b.consts[n.GetInput()[0]]
	if x.ints == nil {
		return errors.New("DequantizeLinear of a constant needs integer data")
	}
	scale, err := b.floats(n, 1, "the scale")
	if err != nil {
		return err
	}
	zp := make([]int64, len(scale))
	if c, err := b.konst(n, 2, "the zero point"); err != nil {
		return err
	} else if c != nil {
		if len(c.ints) != len(scale) {
			return fmt.Errorf("%d zero points for %d scales", len(c.ints), len(scale))
		}
		zp = c.ints
	}
	inner, count := 1, 1
	if len(scale) > 1 {
		axis := int(a.int("axis", 1))
		if axis < 0 {
			axis += len(x.dims)
		}
		if axis < 0 || axis >= len(x.dims) || x.dims[axis] != len(scale) {
			return fmt.Errorf("%d scales along axis %d of a %v tensor", len(scale), axis, x.dims)
		}
		inner, count = elems(x.dims[axis+1:]), len(scale)
	}
	f := make([]float32, len(x.ints))
	for i, q := range x.ints {
		c := i / inner % count
		f[i] = float32(q-zp[c]) * scale[c]
	}
	b.consts[n.GetOutput()[0]] = &constant{dtype: onnxpb.TensorProto_FLOAT, dims: x.dims, floats: f}
	return nil
}

// activationParams reads a QuantizeLinear/DequantizeLinear pair's per-tensor
// scale and zero point, as int8 parameters (uint8 zero points minus 128:
// the same reals).
func (b *builder) activationParams(n *onnxpb.NodeProto) (model.QuantParams, error) {
	s, err := b.floats(n, 1, "the scale")
	if err != nil {
		return model.QuantParams{}, err
	}
	if len(s) != 1 || !(s[0] > 0) || math.IsInf(float64(s[0]), 0) {
		return model.QuantParams{}, fmt.Errorf("activation scale %v; one positive scale per tensor is supported", s)
	}
	q := model.QuantParams{Scale: s[0], ZeroPoint: -128} // no zero point: uint8 0
	c, err := b.konst(n, 2, "the zero point")
	if err != nil || c == nil {
		return q, err
	}
	switch {
	case len(c.ints) != 1:
		return q, errors.New("the zero point must be one integer")
	case c.dtype == onnxpb.TensorProto_INT8:
		q.ZeroPoint = int32(c.ints[0])
	case c.dtype == onnxpb.TensorProto_UINT8:
		q.ZeroPoint = int32(c.ints[0]) - 128
	default:
		return q, fmt.Errorf("zero point of type %s; int8 and uint8 activations are supported", c.dtype)
	}
	return q, nil
}

// quantizeLinear records x's quantisation for the layer computing it.
func (b *builder) quantizeLinear(n *onnxpb.NodeProto, out string) error {
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	q, err := b.activationParams(n)
	if err != nil {
		return err
	}
	if old, ok := b.quant[x.layer]; ok && old != q {
		return fmt.Errorf("quantises a tensor already quantised with other parameters (%+v, now %+v)", old, q)
	}
	b.quant[x.layer] = q
	v := *x
	v.q = &q
	b.values[out] = &v
	return nil
}

// dequantizeLinear of a QuantizeLinear's output gives the tensor back.
func (b *builder) dequantizeLinear(n *onnxpb.NodeProto, out string) error {
	x, err := b.rawVal(n, 0)
	if err != nil {
		return err
	}
	if x.q == nil {
		return errors.New("DequantizeLinear of a tensor that no QuantizeLinear made")
	}
	q, err := b.activationParams(n)
	if err != nil {
		return err
	}
	if q != *x.q {
		return fmt.Errorf("dequantises with %+v what was quantised with %+v", q, *x.q)
	}
	v := *x
	v.q = nil
	b.values[out] = &v
	return nil
}

// quantized turns the imported float graph m into the int8 model with the
// activation parameters the file gave (quant, by layer; -1 the input).
// A head whose logits the file leaves in float (before a Sigmoid or
// Softmax) gets the range its weights can reach from its input's range.
func quantized(m *model.Model, quant map[int]model.QuantParams) (*model.Model, error) {
	if m.Layers[0].Name == "preprocess" {
		return nil, errors.New("a quantised model takes its preprocessing as one scale and offset (uniform --mean/--std, no --bgr)")
	}
	in, ok := quant[-1]
	if !ok {
		return nil, errors.New("quantised model: the input has no QuantizeLinear")
	}
	t := &calib.Table{Model: m.Name, ModelHash: calib.ModelHash(m), Method: "onnx-qdq",
		Entries: []calib.Entry{entry(calib.InputName, in)}}
	last := len(m.Layers) - 1
	for i, l := range m.Layers {
		if q, ok := quant[i]; ok {
			t.Entries = append(t.Entries, entry(l.Name, q))
		}
	}
	if _, ok := quant[last]; !ok {
		e, err := headEntry(m, quant)
		if err != nil {
			return nil, err
		}
		t.Entries = append(t.Entries, e)
	}
	q, _, err := quantize.Quantize(m, t, quantize.Options{Source: "ONNX QDQ model"})
	if err != nil {
		return nil, fmt.Errorf("quantised model: %w", err)
	}
	q.Provenance.Calib = "the ONNX model's own scales and zero points"
	return q, nil
}

func entry(name string, q model.QuantParams) calib.Entry {
	return calib.Entry{Name: name, Min: q.Scale * float32(-128-q.ZeroPoint), Max: q.Scale * float32(127-q.ZeroPoint), Scale: q.Scale, ZeroPoint: q.ZeroPoint}
}

// headEntry bounds a last Dense layer's outputs over its input's int8 range:
// |bias| + sum |w|*max|x|.
func headEntry(m *model.Model, quant map[int]model.QuantParams) (calib.Entry, error) {
	last := len(m.Layers) - 1
	l := m.Layers[last]
	// The input's parameters: those of the nearest layer before that has
	// them, through layers that keep their input's (pools, Flatten).
	j := last - 1
	for ; j >= 0 && !hasQuant(quant, j); j-- {
		switch m.Layers[j].Type {
		case model.MaxPool2D, model.AveragePooling2D, model.GlobalAveragePooling2D, model.Flatten, model.Dropout:
			continue
		}
		break
	}
	in, ok := quant[j]
	if l.Type != model.Dense || len(l.Inputs) > 0 || !ok {
		return calib.Entry{}, fmt.Errorf("quantised model: layer %s's output has no QuantizeLinear (only a last Dense may stay float)", l.Name)
	}
	xmax := float64(max(math.Abs(float64(in.Scale*float32(-128-in.ZeroPoint))), math.Abs(float64(in.Scale*float32(127-in.ZeroPoint)))))
	k, err := m.Tensor(l.Weights[0])
	if err != nil {
		return calib.Entry{}, err
	}
	bt, err := m.Tensor(l.Weights[1])
	if err != nil {
		return calib.Entry{}, err
	}
	w, _ := k.Float32s()
	bias, _ := bt.Float32s()
	units := l.Units
	bound := 0.0
	for o := range units {
		s := math.Abs(float64(bias[o]))
		for r := range len(w) / units {
			s += math.Abs(float64(w[r*units+o])) * xmax
		}
		bound = max(bound, s)
	}
	return calib.NewEntry(l.Name, -bound, bound), nil
}

func hasQuant(quant map[int]model.QuantParams, i int) bool {
	_, ok := quant[i]
	return ok
}
