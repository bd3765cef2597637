package randmodel

import (
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// Float builds a float32 (or, with opt.DType, float16) model of the given
// input size from layers, with Glorot-uniform kernels, small random biases
// and random BatchNormalization statistics.
func Float(name string, h, w int, layers []model.Layer, opt Options) (*model.Model, error) {
	dtype := opt.DType
	if dtype == "" {
		dtype = model.Float32
	}
	b, err := newBuilder(name, h, w, layers, opt, dtype)
	if err != nil {
		return nil, err
	}
	for i, l := range layers {
		inShape := b.in
		lp, err := b.add(i, l)
		if err != nil {
			return nil, err
		}
		switch l.Type {
		case model.Conv2D, model.Dense:
			k, oc := fanIn(lp, inShape), lp.OutputShape[len(lp.OutputShape)-1]
			shape := []int{k, oc}
			if l.Type == model.Conv2D {
				shape = []int{lp.KernelSize[0], lp.KernelSize[1], inShape[2], oc}
			}
			b.floatTensor(lp, "kernel", shape, math.Sqrt(6/float64(k+oc)), 0)
			b.floatTensor(lp, "bias", []int{oc}, 0.1, 0)
		case model.BatchNormalization:
			c := []int{lp.OutputShape[len(lp.OutputShape)-1]}
			b.floatTensor(lp, "gamma", c, 0.5, 1)
			b.floatTensor(lp, "beta", c, 0.1, 0)
			b.floatTensor(lp, "moving_mean", c, 0.1, 0)
			b.floatTensor(lp, "moving_variance", c, 0.5, 1)
			if lp.Epsilon == 0 {
				lp.Epsilon = 1e-3
			}
		}
		b.in = lp.OutputShape
	}
	return b.finish()
}

// floatTensor adds a tensor of values uniform in [center-a, center+a) as
// layer l's next weight.
func (b *builder) floatTensor(l *model.Layer, what string, shape []int, a, center float64) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(center + b.uniform(a))
	}
	name := l.Name + "/" + what
	t := model.NewFloat32(name, shape, v)
	if b.m.DType == model.Float16 {
		t = model.NewFloat16(name, shape, v)
	}
	b.m.AddTensor(t)
	l.Weights = append(l.Weights, name)
}
