// Package geom computes the shapes of Keras layers: output sizes and the
// padding 'same' adds, shared by the runtime and its random test models.
package geom

import (
	"fmt"

	"github.com/edgecnn/edgecnn/model"
)

// MaxElems bounds the elements of one activation tensor (256 Mi), so a
// corrupt model cannot ask for absurd amounts of memory.
const MaxElems = 1 << 28

// Axis returns the output length of a window of size k and stride s sliding
// over n inputs, and the padding before the first input. 'same' follows
// TensorFlow: out = ceil(n/s), pad_total = max((out-1)*s + k - n, 0), and
// the smaller half goes before.
func Axis(n, k, s int, padding string) (out, before int, err error) {
	if k <= 0 || s <= 0 {
		return 0, 0, fmt.Errorf("window %d stride %d must be positive", k, s)
	}
	switch padding {
	case model.Same:
		out = (n + s - 1) / s
		total := max((out-1)*s+k-n, 0)
		return out, total / 2, nil
	case model.Valid, "":
		if k > n {
			return 0, 0, fmt.Errorf("window %d is larger than the input %d with 'valid' padding", k, n)
		}
		return (n-k)/s + 1, 0, nil
	}
	return 0, 0, fmt.Errorf("unknown padding %q", padding)
}

// Window is a layer's sliding window with Keras defaults filled in.
type Window struct {
	KH, KW, SH, SW int
	Padding        string
}

// WindowOf returns the window of a convolution (kernel, strides default 1) or a
// pooling layer (pool size default 2x2, strides default to the pool size).
func WindowOf(l *model.Layer) Window {
	w := Window{Padding: l.Padding}
	if w.Padding == "" {
		w.Padding = model.Valid
	}
	switch l.Type {
	case model.Conv2D, model.DepthwiseConv2D, model.SeparableConv2D:
		w.KH, w.KW = l.KernelSize[0], l.KernelSize[1]
		w.SH, w.SW = or(l.Strides[0], 1), or(l.Strides[1], 1)
		return w
	}
	w.KH, w.KW = or(l.PoolSize[0], 2), or(l.PoolSize[1], 2)
	w.SH, w.SW = or(l.Strides[0], w.KH), or(l.Strides[1], w.KW)
	return w
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// OutputShape is the shape layer l produces from an input of shape in
// (without the batch dimension: [H, W, C] or [N]).
func OutputShape(l *model.Layer, in []int) ([]int, error) {
	spatial := len(in) == 3
	switch l.Type {
	case model.Conv2D, model.DepthwiseConv2D, model.SeparableConv2D, model.MaxPool2D, model.AveragePooling2D:
		if !spatial {
			return nil, fmt.Errorf("%s needs an HxWxC input, got %v", l.Type, in)
		}
		w := WindowOf(l)
		oh, _, err := Axis(in[0], w.KH, w.SH, w.Padding)
		if err != nil {
			return nil, err
		}
		ow, _, err := Axis(in[1], w.KW, w.SW, w.Padding)
		if err != nil {
			return nil, err
		}
		c := in[2]
		if l.Type == model.DepthwiseConv2D || l.Type == model.SeparableConv2D {
			if l.DepthMultiplier > 1 {
				return nil, fmt.Errorf("%s has depth multiplier %d; only 1 is supported", l.Type, l.DepthMultiplier)
			}
		}
		if l.Type == model.Conv2D || l.Type == model.SeparableConv2D {
			if l.Filters <= 0 {
				return nil, fmt.Errorf("%s has %d filters", l.Type, l.Filters)
			}
			c = l.Filters
		}
		return checked([]int{oh, ow, c})
	case model.GlobalAveragePooling2D:
		if !spatial {
			return nil, fmt.Errorf("GlobalAveragePooling2D needs an HxWxC input, got %v", in)
		}
		return []int{in[2]}, nil
	case model.Flatten:
		return checked([]int{Elems(in)})
	case model.Dense:
		if l.Units <= 0 {
			return nil, fmt.Errorf("Dense has %d units", l.Units)
		}
		if len(in) != 1 {
			return nil, fmt.Errorf("Dense needs a flat input (add Flatten), got %v", in)
		}
		return []int{l.Units}, nil
	case model.Dropout, model.BatchNormalization, model.ReLULayer, model.Add:
		return append([]int(nil), in...), nil
	}
	return nil, fmt.Errorf("unsupported layer type %q", l.Type)
}

// Elems is the product of shape.
func Elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func checked(shape []int) ([]int, error) {
	n := 1
	for _, d := range shape {
		if d <= 0 || d > MaxElems || n*d > MaxElems {
			return nil, fmt.Errorf("shape %v is empty or too large", shape)
		}
		n *= d
	}
	return shape, nil
}
