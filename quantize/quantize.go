package quantize

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// Options tune Quantize.
type Options struct {
	// Source names the float model (for example its file), recorded in the
	// int8 model's provenance.
	Source string
}

// Quantize builds the int8 model of the float32 model m from its
// calibration table t (which must have been made for m).
func Quantize(m *model.Model, t *calib.Table, opt Options) (*model.Model, *Report, error) {
	if err := checkFloatModel(m); err != nil {
		return nil, nil, err
	}
	if err := t.CheckModel(m); err != nil {
		return nil, nil, err
	}
	steps, err := Plan(m)
	if err != nil {
		return nil, nil, err
	}
	in, err := t.Params(calib.InputName)
	if err != nil {
		return nil, nil, err
	}
	inputQuant := in
	q := &model.Model{
		Name: m.Name, DType: model.Int8, Input: m.Input, InputQuant: &inputQuant,
		Labels: m.Labels, Loss: m.Loss, Provenance: m.Provenance,
	}
	q.Provenance.Source = m.Name + " (float32, sha256 " + calib.ModelHash(m)[:12] + ")"
	if opt.Source != "" {
		q.Provenance.Source = opt.Source + ", " + q.Provenance.Source
	}
	q.Provenance.Calib = calibSummary(t)
	rep := &Report{}
	chain := true
	for k, st := range steps {
		chain = chain && len(st.Inputs) == 1 && st.Inputs[0] == k-1
	}
	outQ := make([]model.QuantParams, len(steps))
	outShape := make([][]int, len(steps))
	source := func(k int) (model.QuantParams, []int, string) {
		if k == InputStep {
			return inputQuant, m.InputShape(), model.InputName
		}
		return outQ[k], outShape[k], m.Layers[steps[k].Layer].Name
	}
	for k, s := range steps {
		l := m.Layers[s.Layer]
		in, inShape, _ := source(s.Inputs[0])
		ql := l
		ql.Weights, ql.Activation, ql.OutputShape, ql.Inputs = nil, s.Activation, m.Layers[s.Output].OutputShape, nil
		if !chain {
			for _, j := range s.Inputs {
				_, _, name := source(j)
				ql.Inputs = append(ql.Inputs, name)
			}
		}
		ql.Quant = &model.LayerQuant{}
		lr := LayerReport{Name: l.Name, Type: l.Type, Activation: s.Activation}
		for _, i := range append([]int{s.BatchNorm, s.ReLU}, s.Dropped...) {
			if i >= 0 {
				lr.Merged = append(lr.Merged, m.Layers[i].Name)
			}
		}
		out := in
		switch l.Type {
		case model.Conv2D, model.DepthwiseConv2D, model.Dense, model.Add:
			if out, err = t.Params(m.Layers[s.Output].Name); err != nil {
				return nil, nil, fmt.Errorf("layer %d (%s): %w", s.Layer, l.Name, err)
			}
		}
		switch l.Type {
		case model.Conv2D, model.DepthwiseConv2D, model.Dense:
			inC := inShape[len(inShape)-1]
			if l.Type == model.Dense {
				inC = elems(inShape)
			}
			if err := addWeights(q, &ql, &lr, m, s, inC, in, out); err != nil {
				return nil, nil, err
			}
			rep.FloatWeightBytes += lr.FloatWeightBytes
			rep.Int8WeightBytes += lr.Int8WeightBytes
		}
		ql.Quant.Output = out
		ql.Quant.ActMin, ql.Quant.ActMax = activationRange(s.Activation, out)
		lr.Output = out
		lr.Min = out.Scale * float32(-128-out.ZeroPoint)
		lr.Max = out.Scale * float32(127-out.ZeroPoint)
		q.Layers = append(q.Layers, ql)
		rep.Layers = append(rep.Layers, lr)
		outQ[k], outShape[k] = out, ql.OutputShape
	}
	if err := q.Validate(); err != nil {
		return nil, nil, err
	}
	return q, rep, nil
}

// activationRange is the int8 clamp of a fused activation on an output
// quantised as out: ReLU clamps below at the zero point, ReLU6 also above
// at the value nearest 6.
func activationRange(act string, out model.QuantParams) (lo, hi int32) {
	lo, hi = -128, 127
	switch act {
	case model.ReLU:
		lo = max(out.ZeroPoint, -128)
	case model.ReLU6:
		lo = max(out.ZeroPoint, -128)
		hi = int32(min(127, float64(out.ZeroPoint)+math.Round(6/float64(out.Scale))))
	}
	return lo, hi
}

// addWeights quantises a Conv2D, DepthwiseConv2D or Dense step's weights into q's tensors and
// fills ql.Quant and the report's weight figures.
func addWeights(q *model.Model, ql *model.Layer, lr *LayerReport, m *model.Model, s Step, inC int, in, out model.QuantParams) error {
	f, err := loadFloatLayer(m, s, inC)
	if err != nil {
		return err
	}
	il, err := quantizeLayer(f, in, out)
	if err != nil {
		return fmt.Errorf("layer %d (%s): %w", s.Layer, ql.Name, err)
	}
	name, lq := ql.Name, ql.Quant
	lq.Weights, lq.WeightLayout, lq.WeightScales = name+"/weights_q", kernel.Layout, name+"/weight_scales"
	lq.Bias, lq.Multiplier, lq.Shift = name+"/bias_q", name+"/multiplier", name+"/shift"
	var packed []int8
	if ql.Type == model.DepthwiseConv2D {
		lq.WeightLayout = kernel.DepthwiseLayout
		packed = il.packedDepthwise(ql.KernelSize[0], ql.KernelSize[1])
	} else {
		packed = il.packed()
	}
	tensors := []*model.Tensor{
		model.NewInt8(lq.Weights, []int{len(packed)}, packed),
		model.NewFloat32(lq.WeightScales, []int{il.oc}, il.scales),
		model.NewInt32(lq.Bias, []int{il.oc}, il.bias),
		model.NewInt32(lq.Multiplier, []int{il.oc}, il.mult),
		model.NewInt32(lq.Shift, []int{il.oc}, il.shift),
	}
	for _, t := range tensors {
		q.AddTensor(t)
		lr.Int8WeightBytes += len(t.Data)
	}
	for _, i := range []int{s.Layer, s.BatchNorm} {
		if i < 0 {
			continue
		}
		for _, w := range m.Layers[i].Weights {
			t, _ := m.Tensor(w) // loadFloatLayer has read every one
			lr.FloatWeightBytes += len(t.Data)
		}
	}
	lr.WeightSQNR = weightSQNR(f, il)
	return nil
}

// checkFloatModel refuses models Quantize cannot start from.
func checkFloatModel(m *model.Model) error {
	if m.DType != model.Float32 {
		return fmt.Errorf("model %q is %s: quantise the float32 model", m.Name, m.DType)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	p := m.Input
	if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) || math.IsNaN(float64(p.Offset)) || math.IsInf(float64(p.Offset), 0) {
		return fmt.Errorf("model %q has no usable input spec (preprocess scale %v, offset %v): it must record how pixels become inputs", m.Name, p.Scale, p.Offset)
	}
	return nil
}

func calibSummary(t *calib.Table) string {
	s := fmt.Sprintf("%s, %d samples, seed %d", t.Method, t.Samples, t.Seed)
	if t.Method == calib.Percentile {
		s += fmt.Sprintf(", percentile %v", t.Percentile)
	}
	return s
}

func elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
