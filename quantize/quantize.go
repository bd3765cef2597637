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
	inShape := m.InputShape()
	for _, s := range steps {
		l := m.Layers[s.Layer]
		ql := l
		ql.Weights, ql.Activation, ql.OutputShape = nil, s.Activation, m.Layers[s.Output].OutputShape
		ql.Quant = &model.LayerQuant{}
		lr := LayerReport{Name: l.Name, Type: l.Type, Activation: s.Activation}
		for _, i := range append([]int{s.BatchNorm}, s.Dropped...) {
			if i >= 0 {
				lr.Merged = append(lr.Merged, m.Layers[i].Name)
			}
		}
		out := in
		switch l.Type {
		case model.Conv2D, model.Dense:
			if out, err = t.Params(m.Layers[s.Output].Name); err != nil {
				return nil, nil, fmt.Errorf("layer %d (%s): %w", s.Layer, l.Name, err)
			}
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
		ql.Quant.ActMin, ql.Quant.ActMax = -128, 127
		if s.Activation == model.ReLU {
			ql.Quant.ActMin = max(out.ZeroPoint, -128)
		}
		lr.Output = out
		lr.Min = out.Scale * float32(-128-out.ZeroPoint)
		lr.Max = out.Scale * float32(127-out.ZeroPoint)
		q.Layers = append(q.Layers, ql)
		rep.Layers = append(rep.Layers, lr)
		in, inShape = out, ql.OutputShape
	}
	if err := q.Validate(); err != nil {
		return nil, nil, err
	}
	return q, rep, nil
}

// addWeights quantises a Conv2D or Dense step's weights into q's tensors and
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
	tensors := []*model.Tensor{
		model.NewInt8(lq.Weights, []int{kernel.PackedLen(il.oc, il.k)}, il.packed()),
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
	if err := m.RequireSequential("quantisation"); err != nil {
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
