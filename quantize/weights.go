package quantize

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// floatLayer is a Conv2D, DepthwiseConv2D or Dense layer's float weights as
// rows [OC][K] (K = KH*KW*IC in HWC order for Conv2D, the KH*KW taps of a
// channel for DepthwiseConv2D, OC = IC, the input index for Dense) and its
// bias, with any BatchNormalization folded in.
type floatLayer struct {
	oc, k int
	w     []float64 // oc*k
	bias  []float64 // oc
}

// loadFloatLayer reads step s's weights, checking shapes against inC (the
// channels, or for Dense the length, of the layer's input) and refusing NaN
// or Inf.
func loadFloatLayer(m *model.Model, s Step, inC int) (*floatLayer, error) {
	l := &m.Layers[s.Layer]
	where := func(f string, a ...any) error {
		return fmt.Errorf("layer %d (%s): %s", s.Layer, l.Name, fmt.Sprintf(f, a...))
	}
	if len(l.Weights) < 1 || len(l.Weights) > 2 {
		return nil, where("want a kernel and optionally a bias, got %d tensors", len(l.Weights))
	}
	kernel, kshape, err := floats(m, l.Weights[0])
	if err != nil {
		return nil, where("%v", err)
	}
	var f floatLayer
	switch l.Type {
	case model.Conv2D:
		kh, kw := l.KernelSize[0], l.KernelSize[1]
		if len(kshape) != 4 || kshape[0] != kh || kshape[1] != kw || kshape[2] != inC || kshape[3] != l.Filters {
			return nil, where("kernel shape %v, want [%d %d %d %d] (HWIO)", kshape, kh, kw, inC, l.Filters)
		}
		f.oc, f.k = l.Filters, kh*kw*inC
	case model.DepthwiseConv2D:
		kh, kw := l.KernelSize[0], l.KernelSize[1]
		if len(kshape) != 4 || kshape[0] != kh || kshape[1] != kw || kshape[2] != inC || kshape[3] != 1 {
			return nil, where("depthwise kernel shape %v, want [%d %d %d 1]", kshape, kh, kw, inC)
		}
		f.oc, f.k = inC, kh*kw
	case model.Dense:
		if len(kshape) != 2 || kshape[0] != inC || kshape[1] != l.Units {
			return nil, where("kernel shape %v, want [%d %d]", kshape, inC, l.Units)
		}
		f.oc, f.k = l.Units, inC
	}
	// Every layout keeps the output channel last: kernel[k*oc + c].
	f.w = make([]float64, f.oc*f.k)
	for c := range f.oc {
		for k := range f.k {
			f.w[c*f.k+k] = float64(kernel[k*f.oc+c])
		}
	}
	f.bias = make([]float64, f.oc)
	if len(l.Weights) == 2 {
		b, bshape, err := floats(m, l.Weights[1])
		if err != nil {
			return nil, where("%v", err)
		}
		if len(b) != f.oc {
			return nil, where("bias shape %v, want [%d]", bshape, f.oc)
		}
		for c, v := range b {
			f.bias[c] = float64(v)
		}
	}
	if s.BatchNorm >= 0 {
		if err := f.foldBatchNorm(m, &m.Layers[s.BatchNorm]); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", s.BatchNorm, m.Layers[s.BatchNorm].Name, err)
		}
	}
	return &f, nil
}

// foldBatchNorm applies y = gamma*(x-mean)/sqrt(var+eps) + beta to the
// layer's outputs by scaling its weights and shifting its bias.
func (f *floatLayer) foldBatchNorm(m *model.Model, bn *model.Layer) error {
	if len(bn.Weights) != 4 {
		return fmt.Errorf("want gamma, beta, moving_mean, moving_variance, got %d tensors", len(bn.Weights))
	}
	var p [4][]float32
	for i, name := range bn.Weights {
		v, _, err := floats(m, name)
		if err != nil {
			return err
		}
		if len(v) != f.oc {
			return fmt.Errorf("tensor %q has %d values for %d channels", name, len(v), f.oc)
		}
		p[i] = v
	}
	gamma, beta, mean, variance := p[0], p[1], p[2], p[3]
	for c := range f.oc {
		if variance[c] < 0 {
			return fmt.Errorf("moving_variance[%d] = %v is negative", c, variance[c])
		}
		a := float64(gamma[c]) / math.Sqrt(float64(variance[c])+bn.Epsilon)
		for k := range f.k {
			f.w[c*f.k+k] *= a
		}
		f.bias[c] = (f.bias[c]-float64(mean[c]))*a + float64(beta[c])
	}
	return nil
}

// floats reads a float tensor, refusing NaN and Inf.
func floats(m *model.Model, name string) ([]float32, []int, error) {
	t, err := m.Tensor(name)
	if err != nil {
		return nil, nil, err
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, nil, err
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, nil, fmt.Errorf("tensor %q holds %v at index %d: the model is broken (diverged training?)", name, x, i)
		}
	}
	return v, t.Shape, nil
}
