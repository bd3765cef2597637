package train

import (
	"fmt"

	"github.com/edgecnn/edgecnn/model"
)

// ToModel converts the network to a float32 model: the Keras layer
// attributes, inputs (only where a layer takes another input than the layer
// before it), output shapes and tensors "<layer>/<weight>" (Conv2D kernels
// HWIO, depthwise kernels [KH, KW, C, 1], Dense kernels [in, out]). The loss
// follows from the head; the caller fills Provenance.
func (n *Sequential) ToModel(labels []string, pre model.Preprocess) (*model.Model, error) {
	loss, _, err := n.Loss()
	if err != nil {
		return nil, err
	}
	if pre.Height != n.input.H || pre.Width != n.input.W || pre.Channels != n.input.C {
		return nil, fmt.Errorf("preprocess %dx%dx%d does not match the network input %v", pre.Height, pre.Width, pre.Channels, n.input.dims())
	}
	m := &model.Model{Name: n.Name, DType: model.Float32, Input: pre, Labels: append([]string(nil), labels...), Loss: loss}
	for i, l := range n.layers {
		li := l.info()
		ml := model.Layer{Name: li.name, Type: li.kind, OutputShape: li.out.dims()}
		if in := n.inputs[i]; len(in) != 1 || in[0] != i-1 {
			for k := range in {
				ml.Inputs = append(ml.Inputs, n.inputName(i, k))
			}
		}
		switch l := l.(type) {
		case *conv2D:
			ml.Filters, ml.KernelSize, ml.Strides, ml.Padding, ml.Activation = l.filters, [2]int{l.kh, l.kw}, [2]int{l.sh, l.sw}, l.padding, string(l.act)
			ml.NoBias = l.noBias
		case *depthwise:
			ml.KernelSize, ml.Strides, ml.Padding, ml.Activation = [2]int{l.kh, l.kw}, [2]int{l.sh, l.sw}, l.padding, string(l.act)
			ml.NoBias, ml.DepthMultiplier = l.noBias, 1
		case *separable:
			ml.Filters, ml.KernelSize, ml.Strides, ml.Padding, ml.Activation = l.pw.filters, [2]int{l.dw.kh, l.dw.kw}, [2]int{l.dw.sh, l.dw.sw}, l.dw.padding, string(l.pw.act)
			ml.NoBias, ml.DepthMultiplier = l.pw.noBias, 1
		case *reluLayer:
			ml.MaxValue = float64(l.maxValue)
		case *pool2D:
			ml.PoolSize, ml.Strides, ml.Padding = [2]int{l.kh, l.kw}, [2]int{l.sh, l.sw}, l.padding
		case *dense:
			ml.Units, ml.Activation = l.units, string(l.act)
		case *dropout:
			ml.Rate = l.rate
		case *batchNorm:
			ml.Epsilon, ml.Momentum = l.epsilon, l.momentum
		}
		for _, p := range li.params {
			name := li.name + "/" + p.name
			ml.Weights = append(ml.Weights, name)
			m.AddTensor(model.NewFloat32(name, p.shape, p.value))
		}
		m.Layers = append(m.Layers, ml)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// FromModel rebuilds the network of a float32 or float16 model and loads its
// weights. Int8 models (BatchNorm folded, weights packed) cannot be loaded.
func FromModel(m *model.Model) (*Sequential, error) {
	if m.DType != model.Float32 && m.DType != model.Float16 {
		return nil, fmt.Errorf("model %q: %s models cannot be trained or run in float; use the float model", m.Name, m.DType)
	}
	nodes := make([]node, len(m.Layers))
	for i, ml := range m.Layers {
		l, err := layerFromModel(ml)
		if err != nil {
			return nil, fmt.Errorf("model %q: layer %d (%s): %w", m.Name, i, ml.Name, err)
		}
		nodes[i] = node{l: l, name: ml.Name, inputs: ml.Inputs}
	}
	n, err := newGraph(m.Name, m.Input.Height, m.Input.Width, m.Input.Channels, nodes)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", m.Name, err)
	}
	for i, l := range n.layers {
		li, ml := l.info(), m.Layers[i]
		if got, want := fmt.Sprint(li.out.dims()), fmt.Sprint(ml.OutputShape); got != want {
			return nil, fmt.Errorf("model %q: layer %d (%s): output shape %s computed, %s stored", m.Name, i, ml.Name, got, want)
		}
		if len(ml.Weights) != len(li.params) {
			return nil, fmt.Errorf("model %q: layer %d (%s): %d weight tensors, want %d", m.Name, i, ml.Name, len(ml.Weights), len(li.params))
		}
		for j, p := range li.params {
			if err := loadTensor(m, ml.Weights[j], p); err != nil {
				return nil, fmt.Errorf("layer %d (%s): %w", i, ml.Name, err)
			}
		}
	}
	return n, nil
}

func loadTensor(m *model.Model, name string, p *param) error {
	t, err := m.Tensor(name)
	if err != nil {
		return err
	}
	if fmt.Sprint(t.Shape) != fmt.Sprint(p.shape) {
		return fmt.Errorf("tensor %q has shape %v, want %v", name, t.Shape, p.shape)
	}
	v, err := t.Float32s()
	if err != nil {
		return err
	}
	copy(p.value, v)
	return nil
}

// layerFromModel makes an unbuilt layer from its stored attributes.
func layerFromModel(ml model.Layer) (layer, error) {
	switch ml.Type {
	case model.Conv2D, model.DepthwiseConv2D, model.SeparableConv2D:
		act, err := parseActivation(ml.Activation)
		if err != nil {
			return nil, err
		}
		if ml.DepthMultiplier > 1 {
			return nil, fmt.Errorf("depth multiplier %d is not supported (only 1)", ml.DepthMultiplier)
		}
		k, st := ml.KernelSize, ml.Strides
		switch ml.Type {
		case model.DepthwiseConv2D:
			return newDepthwise(k[0], k[1], st[0], st[1], ml.Padding, act, ml.NoBias), nil
		case model.SeparableConv2D:
			return newSeparable(ml.Filters, k[0], k[1], st[0], st[1], ml.Padding, act, ml.NoBias), nil
		}
		c := newConv2D(ml.Filters, k[0], k[1], st[0], st[1], ml.Padding, act)
		c.noBias = ml.NoBias
		return c, nil
	case model.ReLULayer:
		return newReLULayer(ml.MaxValue), nil
	case model.Add:
		return newAdd(), nil
	case model.MaxPool2D, model.AveragePooling2D:
		return newPool2D(ml.Type, ml.PoolSize[0], ml.PoolSize[1], ml.Strides[0], ml.Strides[1], ml.Padding), nil
	case model.GlobalAveragePooling2D:
		return &globalAvgPool{layerInfo: layerInfo{kind: ml.Type}}, nil
	case model.Dense:
		act, err := parseActivation(ml.Activation)
		if err != nil {
			return nil, err
		}
		return newDense(ml.Units, act), nil
	case model.Flatten:
		return &flatten{layerInfo{kind: ml.Type}}, nil
	case model.Dropout:
		return newDropout(ml.Rate), nil
	case model.BatchNormalization:
		return newBatchNorm(ml.Epsilon, ml.Momentum), nil
	}
	return nil, fmt.Errorf("unknown layer type %q", ml.Type)
}
