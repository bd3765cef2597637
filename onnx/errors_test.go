package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// graph is a small ONNX model written in Go for the error cases: input
// "x" [1, 3, 8, 8], a 3x3 Conv with 4 filters ("conv"), then the nodes
// given, the last of which writes "y".
type graph struct {
	nodes  []*onnxpb.NodeProto
	inits  []*onnxpb.TensorProto
	input  *onnxpb.ValueInfoProto
	opset  int64
	output string
}

func newGraph(nodes ...*onnxpb.NodeProto) *graph {
	w := make([]float32, 4*3*3*3)
	for i := range w {
		w[i] = float32(i%7) * 0.1
	}
	conv := node("Conv", []string{"x", "w"}, "conv", intsAttr("pads", 1, 1, 1, 1))
	return &graph{
		nodes:  append([]*onnxpb.NodeProto{conv}, nodes...),
		inits:  []*onnxpb.TensorProto{floatTensor("w", []int{4, 3, 3, 3}, w)},
		input:  valueInfo("x", "N", 3, 8, 8),
		opset:  13,
		output: "y",
	}
}

func node(op string, in []string, out string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: &op, Input: in, Output: []string{out}, Name: ptr(out + "_node"), Attribute: attrs}
}

func (g *graph) bytes(t testing.TB) []byte {
	mp := &onnxpb.ModelProto{
		IrVersion:   ptr(int64(7)),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: ptr(""), Version: &g.opset}},
		Graph: &onnxpb.GraphProto{Name: ptr("g"), Node: g.nodes, Initializer: g.inits,
			Input: []*onnxpb.ValueInfoProto{g.input}, Output: []*onnxpb.ValueInfoProto{valueInfo(g.output, "N", 2)}},
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// head appends GlobalAveragePool, Flatten and a Gemm to 2 classes reading
// from x, writing "y".
func head(x string) []*onnxpb.NodeProto {
	return []*onnxpb.NodeProto{
		node("GlobalAveragePool", []string{x}, "gap"),
		node("Flatten", []string{"gap"}, "flat"),
		node("Gemm", []string{"flat", "fc"}, "y"),
	}
}

func withHead(g *graph) *graph {
	g.inits = append(g.inits, floatTensor("fc", []int{4, 2}, []float32{1, 2, 3, 4, 5, 6, 7, 8}))
	return g
}

func TestImportSmallGraph(t *testing.T) {
	g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Relu", []string{"conv"}, "r")}, head("r")...)...))
	m, err := Import(g.bytes(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range m.Layers {
		types = append(types, l.Type+":"+l.Activation+":"+l.Padding)
	}
	if got, want := strings.Join(types, " "), "Conv2D:relu:same GlobalAveragePooling2D:: Dense:linear:"; got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	if m.Input.Height != 8 || m.Input.Channels != 3 || m.Labels[1] != "class1" {
		t.Errorf("input %+v labels %v", m.Input, m.Labels)
	}
}

func TestImportErrors(t *testing.T) {
	cases := []struct {
		name string
		g    func() *graph
		want string
	}{
		{"unsupported op", func() *graph {
			return withHead(newGraph(append([]*onnxpb.NodeProto{node("LeakyRelu", []string{"conv"}, "r")}, head("r")...)...))
		}, `node "r_node" (LeakyRelu): operator LeakyRelu is not supported; supported: Conv`},
		{"other domain", func() *graph {
			n := node("Relu", []string{"conv"}, "r")
			n.Domain = ptr("com.microsoft")
			return withHead(newGraph(append([]*onnxpb.NodeProto{n}, head("r")...)...))
		}, `node "r_node" (Relu): operator domain "com.microsoft" is not supported`},
		{"dynamic size", func() *graph {
			g := withHead(newGraph(head("conv")...))
			g.input.Type.GetTensorType().Shape.Dim[2].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "H"}
			return g
		}, `input "x": dimension 2 is dynamic or bad ("H"); fixed image sizes are supported`},
		{"external data", func() *graph {
			g := withHead(newGraph(head("conv")...))
			g.inits[0].DataLocation = ptr(onnxpb.TensorProto_EXTERNAL)
			return g
		}, `initializer: tensor "w" keeps its data in an external file`},
		{"old opset", func() *graph {
			g := withHead(newGraph(head("conv")...))
			g.opset = 9
			return g
		}, "ONNX opset 9 is not supported (opsets 11 to 21 are)"},
		{"new opset", func() *graph {
			g := withHead(newGraph(head("conv")...))
			g.opset = 22
			return g
		}, "ONNX opset 22 is not supported"},
		{"grouped conv", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Conv", []string{"conv", "w2"}, "g2", intAttr("group", 2))}, head("g2")...)...))
			g.inits = append(g.inits, floatTensor("w2", []int{4, 2, 1, 1}, make([]float32, 8)))
			return g
		}, `node "g2_node" (Conv): grouped convolution (group 2`},
		{"dilation", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Conv", []string{"conv", "w2"}, "d", intsAttr("dilations", 2, 2))}, head("d")...)...))
			g.inits = append(g.inits, floatTensor("w2", []int{4, 4, 3, 3}, make([]float32, 144)))
			return g
		}, "dilations [2 2] are not supported"},
		{"pad before pool", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Pad", []string{"conv", "pads"}, "p"), node("MaxPool", []string{"p"}, "mp", intsAttr("kernel_shape", 2, 2))}, head("mp")...)...))
			g.inits = append(g.inits, int64Tensor("pads", []int64{0, 0, 1, 1, 0, 0, 1, 1}))
			return g
		}, `node "mp_node" (MaxPool): takes the output of a Pad; a Pad is supported only right before a Conv`},
		{"clip range", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Clip", []string{"conv", "lo", "hi"}, "c")}, head("c")...)...))
			g.inits = append(g.inits, floatTensor("lo", nil, []float32{-1}), floatTensor("hi", nil, []float32{1}))
			return g
		}, "Clip(-1, 1): Clip is supported as ReLU (min 0, no max) or ReLU6 (min 0, max 6)"},
		{"sigmoid alone", func() *graph {
			return withHead(newGraph(append([]*onnxpb.NodeProto{node("Relu", []string{"conv"}, "r"), node("Sigmoid", []string{"r"}, "s")}, head("s")...)...))
		}, `node "s_node" (Sigmoid): Sigmoid is supported only right after a Conv or Gemm/MatMul`},
		{"reshape", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("Reshape", []string{"conv", "shape"}, "rs")}, head("rs")...)...))
			g.inits = append(g.inits, int64Tensor("shape", []int64{1, 4, 64, 1}))
			return g
		}, "Reshape of [4 8 8] to [1 4 64 1]; only flattening to [batch, 256] is supported"},
		{"transpose", func() *graph {
			return withHead(newGraph(append([]*onnxpb.NodeProto{node("Transpose", []string{"conv"}, "tr", intsAttr("perm", 0, 1, 3, 2))}, head("tr")...)...))
		}, "only NHWC<->NCHW of feature maps"},
		{"dynamic weights", func() *graph {
			return withHead(newGraph(append([]*onnxpb.NodeProto{node("Conv", []string{"conv", "conv"}, "cc")}, head("cc")...)...))
		}, `node "cc_node" (Conv): the weights W ("conv") is computed by the graph; a constant (initializer) is supported`},
		{"broadcast add", func() *graph {
			g := withHead(newGraph(append([]*onnxpb.NodeProto{node("GlobalAveragePool", []string{"conv"}, "p0"), node("Add", []string{"conv", "p0"}, "a")}, head("a")...)...))
			return g
		}, "tensors of the same shape and layout are supported (no broadcasting)"},
		{"labels", func() *graph { return withHead(newGraph(head("conv")...)) }, "3 labels for a model with 2 outputs"},
		{"not onnx", nil, "not an ONNX model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := []byte("\xff\xff\xff not a protobuf")
			if c.g != nil {
				data = c.g().bytes(t)
			}
			opt := Options{}
			if c.name == "labels" {
				opt.Labels = []string{"a", "b", "c"}
			}
			_, err := Import(data, opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func FuzzImport(f *testing.F) {
	for _, g := range []*graph{
		withHead(newGraph(append([]*onnxpb.NodeProto{node("Relu", []string{"conv"}, "r")}, head("r")...)...)),
		withHead(newGraph(append([]*onnxpb.NodeProto{node("MaxPool", []string{"conv"}, "mp", intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2), intsAttr("pads", 1, 1, 1, 1))}, head("mp")...)...)),
		qlinearGraph(),
	} {
		f.Add(g.bytes(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Import(data, Options{})
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Import returned an invalid model: %v", err)
		}
		if _, err := Export(m); err != nil && m.DType == model.Float32 {
			t.Fatalf("an imported model does not export: %v", err)
		}
	})
}

// qlinearGraph is x -> QuantizeLinear -> QLinearConv -> DequantizeLinear ->
// the float head.
func qlinearGraph() *graph {
	i8 := func(name string, v ...byte) *onnxpb.TensorProto {
		dims := []int64{int64(len(v))}
		if len(v) == 1 {
			dims = nil
		}
		return &onnxpb.TensorProto{Name: ptr(name), Dims: dims, DataType: ptr(int32(onnxpb.TensorProto_INT8)), RawData: v}
	}
	g := withHead(newGraph(append([]*onnxpb.NodeProto{
		node("QuantizeLinear", []string{"x", "xs", "xz"}, "xq"),
		node("QLinearConv", []string{"xq", "xs", "xz", "wq", "ws", "wz", "ys", "yz"}, "yq"),
		node("DequantizeLinear", []string{"yq", "ys", "yz"}, "yf"),
	}, head("yf")...)...))
	g.nodes = g.nodes[1:] // no float conv
	wq := i8("wq", make([]byte, 4*3*3*3)...)
	wq.Dims = []int64{4, 3, 3, 3}
	g.inits = append(g.inits, floatTensor("xs", nil, []float32{0.01}), i8("xz", 0), wq,
		floatTensor("ws", []int{4}, []float32{0.1, 0.1, 0.2, 0.2}), i8("wz", 0, 0, 0, 0), floatTensor("ys", nil, []float32{0.05}), i8("yz", 0x80))
	return g
}

func TestImportQLinear(t *testing.T) {
	m, err := Import(qlinearGraph().bytes(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.DType != model.Int8 || *m.InputQuant != (model.QuantParams{Scale: 0.01, ZeroPoint: 0}) || m.Layers[0].Quant.Output != (model.QuantParams{Scale: 0.05, ZeroPoint: -128}) {
		t.Errorf("%s model, input %+v, conv output %+v", m.DType, m.InputQuant, m.Layers[0].Quant.Output)
	}
}
