package randmodel

import (
	"math"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// Int8 builds an int8 model of the given input size from layers (Keras
// attributes; names, output shapes and tensors are filled in). As
// quantisation would, it drops Dropout and BatchNormalization layers.
func Int8(name string, h, w int, layers []model.Layer, opt Options) (*model.Model, error) {
	if opt.Layout == "" {
		opt.Layout = kernel.Layout
	}
	b, err := newBuilder(name, h, w, layers, opt, model.Int8)
	if err != nil {
		return nil, err
	}
	in := Input
	b.m.InputQuant = &in
	for i, l := range layers {
		if l.Type == model.Dropout || l.Type == model.BatchNormalization {
			continue
		}
		inShape := b.in
		lp, err := b.add(i, l)
		if err != nil {
			return nil, err
		}
		switch l.Type {
		case model.Conv2D, model.Dense:
			b.int8Weights(lp, inShape, i == b.last)
		case model.AveragePooling2D, model.GlobalAveragePooling2D:
			lp.Quant = &model.LayerQuant{Output: b.q, ActMin: -128, ActMax: 127}
			if b.rng.IntN(2) == 0 { // exercise requantising averages too
				b.q = model.QuantParams{Scale: b.q.Scale * float32(0.4+0.5*b.rng.Float64()), ZeroPoint: min(max(b.q.ZeroPoint+int32(b.rng.IntN(9))-4, -128), 127)}
				lp.Quant.Output = b.q
			}
		default: // MaxPool2D, Flatten keep their input's quantisation
			lp.Quant = &model.LayerQuant{Output: b.q, ActMin: -128, ActMax: 127}
		}
		b.in = lp.OutputShape
	}
	return b.finish()
}

// int8Weights gives Conv2D or Dense l random int8 weights with per-channel
// scales, a folded bias and the requantisation to an output scale that
// covers about three times the estimated activation size.
func (b *builder) int8Weights(l *model.Layer, in []int, head bool) {
	k := fanIn(l, in)
	oc := l.OutputShape[len(l.OutputShape)-1]
	pre := b.rms // He-like scaling keeps the pre-activation size
	out := model.QuantParams{Scale: float32(6 * pre / 255), ZeroPoint: int32(b.rng.IntN(17)) - 8}
	q := &model.LayerQuant{Output: out, ActMin: -128, ActMax: 127}
	relu := l.Activation == model.ReLU && !head
	if relu {
		q.Output = model.QuantParams{Scale: float32(3 * pre / 255), ZeroPoint: -128}
		b.rms = pre / math.Sqrt2
	}
	w := make([]int8, oc*k)
	scales := make([]float32, oc)
	bias := make([]int32, oc)
	mult := make([]int32, oc)
	shift := make([]int32, oc)
	for c := range oc {
		scales[c] = float32((0.5 + b.rng.Float64()) * math.Sqrt(3) / (127 * math.Sqrt(float64(k))))
		var sum int32
		for i := range k {
			v := int8(b.rng.IntN(255) - 127)
			w[c*k+i] = v
			sum += int32(v)
		}
		accScale := float64(b.q.Scale) * float64(scales[c])
		bias[c] = int32(math.Round(b.uniform(0.2*pre)/accScale)) - b.q.ZeroPoint*sum
		mult[c], shift[c] = kernel.QuantizeMultiplier(accScale / float64(q.Output.Scale))
	}
	name := l.Name + "/"
	q.Weights, q.WeightLayout = name+"weights", b.opt.Layout
	q.WeightScales, q.Bias, q.Multiplier, q.Shift = name+"weight_scales", name+"bias", name+"multiplier", name+"shift"
	b.m.AddTensor(model.NewInt8(q.Weights, packedShape(b.opt.Layout, oc, k), pack(b.opt.Layout, w, oc, k)))
	b.m.AddTensor(model.NewFloat32(q.WeightScales, []int{oc}, scales))
	b.m.AddTensor(model.NewInt32(q.Bias, []int{oc}, bias))
	b.m.AddTensor(model.NewInt32(q.Multiplier, []int{oc}, mult))
	b.m.AddTensor(model.NewInt32(q.Shift, []int{oc}, shift))
	l.Quant = q
	b.q = q.Output
}

// pack stores canonical [oc][k] weights in layout.
func pack(layout string, w []int8, oc, k int) []int8 {
	if layout != kernel.Layout {
		return w
	}
	p := make([]int8, kernel.PackedLen(oc, k))
	kernel.Pack(p, w, oc, k)
	return p
}

func packedShape(layout string, oc, k int) []int {
	if layout != kernel.Layout {
		return []int{oc, k}
	}
	return []int{kernel.PackedLen(oc, k)}
}
