package onnx

import (
	"encoding/json"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// ExportOpset is the opset Export writes.
const ExportOpset = 13

// Export writes a float32 or float16 model (weights widened to float32) as
// an ONNX model: input "input" [N, C, H, W] holding the scaled pixels
// (pixel*Scale + Offset, as the model's preprocessing says), output "prob",
// Keras' padding written as explicit pads, and the Dense after a Flatten of
// feature maps reading PyTorch's C,H,W order. Labels and the input scaling
// are kept in the metadata, so Import restores them.
func Export(m *model.Model) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.DType != model.Float32 && m.DType != model.Float16 {
		return nil, fmt.Errorf("model %q is %s; only float models can be exported (export the float model it was quantised from)", m.Name, m.DType)
	}
	g, err := m.Graph()
	if err != nil {
		return nil, err
	}
	e := &exporter{m: m, graph: &onnxpb.GraphProto{Name: ptr(m.Name)}}
	in := m.InputShape()
	names := make([]string, len(m.Layers)) // ONNX tensor of each layer's output
	shapes := make([][]int, len(m.Layers))
	src := func(j int) (string, []int) {
		if j == model.ModelInput {
			return "input", in
		}
		return names[j], shapes[j]
	}
	for i, l := range m.Layers {
		x, xs := src(g[i][0])
		var ins []string
		for _, j := range g[i] {
			n, _ := src(j)
			ins = append(ins, n)
		}
		out, err := e.layer(&l, x, xs, ins)
		if err != nil {
			return nil, fmt.Errorf("model %q: layer %d (%s): %w", m.Name, i, l.Name, err)
		}
		if perm := e.flatOfMaps(x); perm != nil && out != x && elementwise(l.Type) {
			e.flat = append(e.flat, flatMap{out, perm})
		}
		names[i], shapes[i] = out, l.OutputShape
	}
	last := names[len(names)-1]
	e.node("Identity", []string{last}, "prob", nil)
	nOut := m.Layers[len(m.Layers)-1].OutputShape[0]
	e.graph.Input = []*onnxpb.ValueInfoProto{valueInfo("input", "N", in[2], in[0], in[1])}
	e.graph.Output = []*onnxpb.ValueInfoProto{valueInfo("prob", "N", nOut)}
	labels, err := json.Marshal(m.Labels)
	if err != nil {
		return nil, err
	}
	mp := &onnxpb.ModelProto{
		IrVersion:    ptr(int64(7)),
		ProducerName: ptr("edgecnn"),
		Graph:        e.graph,
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: ptr(""), Version: ptr(int64(ExportOpset))}},
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: ptr(metaLabels), Value: ptr(string(labels))},
			{Key: ptr(metaScale), Value: ptr(strconv.FormatFloat(float64(m.Input.Scale), 'g', -1, 32))},
			{Key: ptr(metaOffset), Value: ptr(strconv.FormatFloat(float64(m.Input.Offset), 'g', -1, 32))},
		},
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}

// elementwise reports whether a layer keeps its input's layout.
func elementwise(t string) bool {
	return t == model.ReLULayer || t == model.BatchNormalization || t == model.Dropout
}

func valueInfo(name, batch string, dims ...int) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: batch}}}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{Name: &name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: ptr(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}

type exporter struct {
	m     *model.Model
	graph *onnxpb.GraphProto
	flat  []flatMap
}

// node appends a node named after its output and returns the output.
func (e *exporter) node(op string, in []string, out string, attrs []*onnxpb.AttributeProto) string {
	e.graph.Node = append(e.graph.Node, &onnxpb.NodeProto{OpType: &op, Input: in, Output: []string{out}, Name: ptr(out), Attribute: attrs})
	return out
}

func (e *exporter) init(name string, dims []int, v []float32) string {
	e.graph.Initializer = append(e.graph.Initializer, floatTensor(name, dims, v))
	return name
}

func intsAttr(name string, v ...int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: &name, Type: ptr(onnxpb.AttributeProto_INTS), Ints: int64s(v)}
}

func intAttr(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: &name, Type: ptr(onnxpb.AttributeProto_INT), I: ptr(int64(v))}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: &name, Type: ptr(onnxpb.AttributeProto_FLOAT), F: &v}
}

func (e *exporter) weights(l *model.Layer, i int) ([]float32, []int, error) {
	if i >= len(l.Weights) {
		return nil, nil, fmt.Errorf("has %d weight tensors, needs more", len(l.Weights))
	}
	t, err := e.m.Tensor(l.Weights[i])
	if err != nil {
		return nil, nil, err
	}
	v, err := t.Float32s()
	return v, t.Shape, err
}

// kerasPads is Keras' padding of a window as ONNX pads [top, left, bottom,
// right] for input h x w.
func kerasPads(l *model.Layer, k [2]int, h, w int) []int {
	if l.Padding != model.Same {
		return []int{0, 0, 0, 0}
	}
	p := make([]int, 4)
	for i, n := range []int{h, w} {
		s := l.Strides[i]
		o := (n + s - 1) / s
		total := max((o-1)*s+k[i]-n, 0)
		p[i], p[i+2] = total/2, total-total/2
	}
	return p
}

// layer writes l's nodes reading x (shape xs, NHWC) and returns its output.
func (e *exporter) layer(l *model.Layer, x string, xs []int, ins []string) (string, error) {
	name := l.Name
	var out string
	switch l.Type {
	case model.Conv2D, model.DepthwiseConv2D, model.SeparableConv2D:
		var err error
		if out, err = e.conv(l, x, xs); err != nil {
			return "", err
		}
	case model.Dense:
		k, ks, err := e.weights(l, 0)
		if err != nil {
			return "", err
		}
		b, _, err := e.weights(l, 1)
		if err != nil {
			return "", err
		}
		in, units := ks[0], ks[1]
		if len(xs) == 1 && e.flatOfMaps(x) != nil {
			// ONNX flattens C,H,W: row l of B is our row perm[l].
			perm := e.flatOfMaps(x)
			pk := make([]float32, len(k))
			for r := range in {
				copy(pk[r*units:(r+1)*units], k[perm[r]*units:(perm[r]+1)*units])
			}
			k = pk
		}
		out = e.node("Gemm", []string{x, e.init(name+"/kernel", ks, k), e.init(name+"/bias", []int{units}, b)}, name, nil)
	case model.BatchNormalization:
		var ws []string
		for i, w := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
			v, s, err := e.weights(l, i)
			if err != nil {
				return "", err
			}
			ws = append(ws, e.init(name+"/"+w, s, v))
		}
		out = e.node("BatchNormalization", append([]string{x}, ws...), name, []*onnxpb.AttributeProto{floatAttr("epsilon", float32(l.Epsilon))})
	case model.ReLULayer:
		if l.MaxValue == 0 {
			return e.node("Relu", []string{x}, name, nil), nil
		}
		return e.clip(x, name, float32(l.MaxValue)), nil
	case model.MaxPool2D, model.AveragePooling2D:
		op, attrs := "MaxPool", []*onnxpb.AttributeProto{
			intsAttr("kernel_shape", l.PoolSize[0], l.PoolSize[1]), intsAttr("strides", l.Strides[0], l.Strides[1]),
			intsAttr("pads", kerasPads(l, l.PoolSize, xs[0], xs[1])...)}
		if l.Type == model.AveragePooling2D {
			op, attrs = "AveragePool", append(attrs, intAttr("count_include_pad", 0))
		}
		return e.node(op, []string{x}, name, attrs), nil
	case model.GlobalAveragePooling2D:
		p := e.node("GlobalAveragePool", []string{x}, name+"/pool", nil)
		return e.node("Flatten", []string{p}, name, nil), nil
	case model.Flatten:
		out = e.node("Flatten", []string{x}, name, nil)
		if len(xs) == 3 {
			h, w, c := xs[0], xs[1], xs[2]
			perm := make([]int, h*w*c)
			for ci := range c {
				for y := range h {
					for z := range w {
						perm[(ci*h+y)*w+z] = (y*w+z)*c + ci
					}
				}
			}
			e.flat = append(e.flat, flatMap{out, perm})
		}
		return out, nil
	case model.Dropout:
		return x, nil
	case model.Add:
		out = ins[0]
		for k, y := range ins[1:] {
			n := name
			if k < len(ins)-2 {
				n = name + "/" + strconv.Itoa(k)
			}
			out = e.node("Add", []string{out, y}, n, nil)
		}
		return out, nil
	default:
		return "", fmt.Errorf("layer type %s cannot be exported", l.Type)
	}
	return e.activation(l.Activation, out)
}

// flatMap records a flattened feature map: ONNX index l holds our perm[l].
type flatMap struct {
	name string
	perm []int
}

func (e *exporter) flatOfMaps(name string) []int {
	for _, f := range e.flat {
		if f.name == name {
			return f.perm
		}
	}
	return nil
}

// conv writes Conv2D (OIHW weights), DepthwiseConv2D (group C) and
// SeparableConv2D (depthwise then pointwise Conv).
func (e *exporter) conv(l *model.Layer, x string, xs []int) (string, error) {
	name := l.Name
	k, ks, err := e.weights(l, 0)
	if err != nil {
		return "", err
	}
	if l.DepthMultiplier > 1 {
		return "", fmt.Errorf("depth multiplier %d cannot be exported (only 1)", l.DepthMultiplier)
	}
	kh, kw, ic, oc := ks[0], ks[1], ks[2], ks[3]
	group := 1
	if l.Type != model.Conv2D {
		group, oc, ic = ic, ic, 1
	}
	w := make([]float32, len(k))
	for y := range kh {
		for z := range kw {
			for i := range ic {
				for o := range oc {
					src := ((y*kw+z)*ic+i)*oc + o
					if group > 1 {
						src = (y*kw+z)*oc + o
					}
					w[((o*ic+i)*kh+y)*kw+z] = k[src]
				}
			}
		}
	}
	attrs := []*onnxpb.AttributeProto{intsAttr("kernel_shape", kh, kw), intsAttr("strides", l.Strides[0], l.Strides[1]),
		intsAttr("pads", kerasPads(l, [2]int{kh, kw}, xs[0], xs[1])...), intAttr("group", group)}
	next := 1
	in := []string{x, e.init(name+"/kernel", []int{oc, ic, kh, kw}, w)}
	if l.Type == model.SeparableConv2D {
		dw := e.node("Conv", in, name+"/depthwise", attrs)
		pk, pks, err := e.weights(l, 1)
		if err != nil {
			return "", err
		}
		c, f := pks[2], pks[3]
		pw := make([]float32, len(pk))
		for i := range c {
			for o := range f {
				pw[o*c+i] = pk[i*f+o]
			}
		}
		in = []string{dw, e.init(name+"/pointwise_kernel", []int{f, c, 1, 1}, pw)}
		attrs, next = nil, 2
	}
	if !l.NoBias {
		b, bs, err := e.weights(l, next)
		if err != nil {
			return "", err
		}
		in = append(in, e.init(name+"/bias", bs, b))
	}
	return e.node("Conv", in, name, attrs), nil
}

// clip writes Clip(x, 0, hi).
func (e *exporter) clip(x, name string, hi float32) string {
	lo := e.init(name+"/min", nil, []float32{0})
	h := e.init(name+"/max", nil, []float32{hi})
	return e.node("Clip", []string{x, lo, h}, name+"/clip", nil)
}

// activation writes a convolution's or Dense's activation after it.
func (e *exporter) activation(act, x string) (string, error) {
	switch act {
	case model.Linear, "":
		return x, nil
	case model.ReLU:
		return e.node("Relu", []string{x}, x+"/relu", nil), nil
	case model.ReLU6:
		return e.clip(x, x+"/relu6", 6), nil
	case model.Sigmoid:
		return e.node("Sigmoid", []string{x}, x+"/sigmoid", nil), nil
	case model.Softmax:
		return e.node("Softmax", []string{x}, x+"/softmax", []*onnxpb.AttributeProto{intAttr("axis", -1)}), nil
	}
	return "", fmt.Errorf("activation %q cannot be exported", act)
}
