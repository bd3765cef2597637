package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// Bounds of the input's sides and of any feature map's values.
const (
	maxSide  = 1 << 14
	maxElems = 1 << 26
)

// Opsets this importer reads (the default ONNX domain).
const (
	MinOpset = 11
	MaxOpset = 21
)

// Supported lists the operators Import converts.
const Supported = "Conv (group 1 or depthwise), Gemm, MatMul, Add, Relu, Clip (0..6 or 0..inf), Sigmoid, Softmax, " +
	"MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Flatten, Reshape (flattening, constant shape), " +
	"Dropout, Identity, Pad (constant zeros, before a Conv), Transpose (NHWC<->NCHW pairs), Constant, " +
	"QuantizeLinear/DequantizeLinear (QDQ: int8 weights, int8 or uint8 activations per tensor), " +
	"QLinearConv, QLinearMatMul"

// Preprocessing says how a camera pixel p in [0, 255] becomes the ONNX
// model's input: x[c] = (p[src(c)]*Scale - Mean[c]) / Std[c], where src
// swaps red and blue when BGR is set. Mean and Std hold one value or one per
// channel (torchvision: Scale 1/255, Mean 0.485,0.456,0.406, Std
// 0.229,0.224,0.225; Keras' "tf" mode: Scale 1/127.5, Mean 1, Std 1; "caffe"
// mode: Scale 1, BGR, Mean 103.939,116.779,123.68).
type Preprocessing struct {
	Scale     float32
	Mean, Std []float32
	BGR       bool
}

// Options control Import.
type Options struct {
	// Name of the model (default: the ONNX graph's name).
	Name string
	// Labels of the classes, one per output (two for a single sigmoid
	// output). Default: the labels an edgecnn export stored, else
	// class0, class1, ...
	Labels []string
	// Preprocessing of the input. Nil: what an edgecnn export stored, else
	// Scale 1/255 (inputs in [0, 1]).
	Preprocessing *Preprocessing

	// featureMaps lets the output be a feature map (ONNX's node tests).
	featureMaps bool
}

// Metadata keys of an exported model (ModelProto.metadata_props).
const (
	metaLabels = "edgecnn.labels"
	metaScale  = "edgecnn.scale"
	metaOffset = "edgecnn.offset"
)

// Import converts a float ONNX model (the bytes of a .onnx file) to a
// float32 .ecnn model with NHWC layers. It refuses, with an error naming the
// node and its operator, anything it cannot convert exactly.
func Import(data []byte, opt Options) (*model.Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("ONNX model has no graph")
	}
	b := &builder{consts: map[string]*constant{}, values: map[string]*value{}, uses: map[string]int{}, names: map[string]bool{model.InputName: true}, quant: map[int]model.QuantParams{}}
	opset, err := defaultOpset(&mp)
	if err != nil {
		return nil, err
	}
	b.opset = opset
	for _, t := range g.GetInitializer() {
		c, err := decodeTensor(t)
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		b.consts[t.GetName()] = c
	}
	if len(g.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("sparse initializers are not supported")
	}
	if len(g.GetOutput()) != 1 {
		return nil, fmt.Errorf("ONNX graph has %d outputs; a classifier with one output is supported", len(g.GetOutput()))
	}
	out := g.GetOutput()[0].GetName()
	all, err := b.expandQLinear(g.GetNode())
	if err != nil {
		return nil, err
	}
	nodes := b.live(all, out)
	input, err := b.input(g, nodes)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		meta[p.GetKey()] = p.GetValue()
	}
	m := &model.Model{Name: opt.Name, DType: model.Float32}
	if m.Name == "" {
		m.Name = g.GetName()
	}
	if m.Name == "" {
		m.Name = "onnx"
	}
	m.Input = model.Preprocess{Height: input.phys[0], Width: input.phys[1], Channels: input.phys[2], Interpolation: "bilinear", Scale: 1.0 / 255}
	if err := b.preprocess(&m.Input, opt.Preprocessing, meta, input); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := b.node(n); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.GetName(), n.GetOpType(), err)
		}
	}
	v, ok := b.values[out]
	switch {
	case !ok:
		return nil, fmt.Errorf("graph output %q is not computed by a supported node (a constant or the input itself)", out)
	case v.layer != len(b.layers)-1 || v.layer < 0:
		return nil, fmt.Errorf("graph output %q is not the last layer's output", out)
	case (len(v.phys) != 1 && !opt.featureMaps) || v.perm != nil:
		return nil, fmt.Errorf("graph output %q has shape %v; a classifier's output [batch, classes] is supported", out, v.shape)
	}
	m.Labels, err = labels(opt.Labels, meta, v.phys[len(v.phys)-1])
	if err != nil {
		return nil, err
	}
	b.finish(m)
	m.Provenance = model.Provenance{Created: time.Now().UTC(), Tool: "edgecnn import"}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("imported graph: %w", err)
	}
	if len(b.quant) > 0 {
		return quantized(m, b.quant)
	}
	return m, nil
}

func defaultOpset(mp *onnxpb.ModelProto) (int64, error) {
	for _, o := range mp.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			v := o.GetVersion()
			if v < MinOpset || v > MaxOpset {
				return 0, fmt.Errorf("ONNX opset %d is not supported (opsets %d to %d are); convert it with onnx.version_converter", v, MinOpset, MaxOpset)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("ONNX model imports no default-domain opset")
}

func labels(given []string, meta map[string]string, outputs int) ([]string, error) {
	if len(given) == 0 && meta[metaLabels] != "" {
		if err := json.Unmarshal([]byte(meta[metaLabels]), &given); err != nil {
			return nil, fmt.Errorf("metadata %s: %w", metaLabels, err)
		}
	}
	n := outputs
	if n == 1 {
		n = 2 // one sigmoid output: P(second class)
	}
	if len(given) == 0 {
		for i := range n {
			given = append(given, "class"+strconv.Itoa(i))
		}
	}
	if len(given) != n {
		return nil, fmt.Errorf("%d labels for a model with %d outputs (want %d)", len(given), outputs, n)
	}
	return given, nil
}

// value is a tensor of the ONNX graph: the layer that computes it and how
// its ONNX (logical) shape maps onto the layer's NHWC (physical) output.
type value struct {
	layer int   // index into builder.layers, or -1 for the model input
	shape []int // ONNX shape without the batch dimension
	phys  []int // the layer output's shape: [H, W, C] or [N]
	// nchw: shape is [C, H, W] of the physical [H, W, C] (or [C, 1, 1] of a
	// pooled [C]); otherwise shape equals phys.
	nchw bool
	// perm maps flat ONNX indices to physical ones after flattening NCHW
	// features (nil: the same order).
	perm []int
	// pads are a Pad node's (top, left, bottom, right) zeros waiting for
	// the Conv that takes this value.
	pads *[4]int
	// q is the quantisation of a QuantizeLinear's output, which only a
	// DequantizeLinear may read.
	q *model.QuantParams
}

type param struct {
	name  string
	shape []int
	v     []float32
}

type layer struct {
	model.Layer
	in     []int
	params []param
}

type builder struct {
	opset  int64
	consts map[string]*constant
	values map[string]*value
	uses   map[string]int
	layers []*layer
	names  map[string]bool
	quant  map[int]model.QuantParams // QDQ models: activation parameters by layer (-1: the input)
}

// live returns the nodes the output depends on, in file order, and counts
// the uses of every value by them (and by the graph output).
func (b *builder) live(nodes []*onnxpb.NodeProto, out string) []*onnxpb.NodeProto {
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			producer[o] = i
		}
	}
	need := make([]bool, len(nodes))
	stack := []string{out}
	seen := map[string]bool{}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[name] {
			continue
		}
		seen[name] = true
		if i, ok := producer[name]; ok && !need[i] {
			need[i] = true
			stack = append(stack, nodes[i].GetInput()...)
		}
	}
	var r []*onnxpb.NodeProto
	for i, n := range nodes {
		if need[i] {
			r = append(r, n)
			for _, in := range n.GetInput() {
				b.uses[in]++
			}
		}
	}
	b.uses[out]++
	return r
}

// input finds the one graph input that is not an initializer and makes its
// value: NHWC when every node that reads it transposes it to NCHW (as
// tf2onnx writes Keras models), NCHW otherwise.
func (b *builder) input(g *onnxpb.GraphProto, nodes []*onnxpb.NodeProto) (*value, error) {
	var in *onnxpb.ValueInfoProto
	for _, vi := range g.GetInput() {
		if _, ok := b.consts[vi.GetName()]; ok {
			continue
		}
		if in != nil {
			return nil, fmt.Errorf("ONNX graph has several inputs (%q, %q); one image input is supported", in.GetName(), vi.GetName())
		}
		in = vi
	}
	if in == nil {
		return nil, fmt.Errorf("ONNX graph has no input")
	}
	tt := in.GetType().GetTensorType()
	if tt == nil || onnxpb.TensorProto_DataType(tt.GetElemType()) != onnxpb.TensorProto_FLOAT {
		return nil, fmt.Errorf("input %q: a float32 tensor is supported", in.GetName())
	}
	dims := tt.GetShape().GetDim()
	if len(dims) != 4 {
		return nil, fmt.Errorf("input %q has %d dimensions; an image batch [N, C, H, W] or [N, H, W, C] is supported", in.GetName(), len(dims))
	}
	if d := dims[0]; d.GetDimParam() == "" && d.GetDimValue() != 1 && d.GetDimValue() != 0 {
		return nil, fmt.Errorf("input %q: batch dimension %d; batch 1 or a symbolic batch is supported", in.GetName(), d.GetDimValue())
	}
	shape := make([]int, 3)
	for i, d := range dims[1:] {
		if d.GetDimValue() <= 0 || d.GetDimValue() > maxSide {
			return nil, fmt.Errorf("input %q: dimension %d is dynamic or bad (%q); fixed image sizes are supported (export with a fixed input size)", in.GetName(), i+1, dimString(d))
		}
		shape[i] = int(d.GetDimValue())
	}
	if elems(shape) > maxElems {
		return nil, fmt.Errorf("input %q: %v is more than %d values", in.GetName(), shape, maxElems)
	}
	nhwc, readers := true, 0
	for _, n := range nodes {
		for _, x := range n.GetInput() {
			if x == in.GetName() {
				readers++
				nhwc = nhwc && n.GetOpType() == "Transpose" && slices.Equal(attrsOf(n).ints("perm", nil), []int64{0, 3, 1, 2})
			}
		}
	}
	v := &value{layer: -1, shape: shape}
	if nhwc && readers > 0 {
		v.phys = shape
	} else {
		v.nchw, v.phys = true, []int{shape[1], shape[2], shape[0]}
	}
	b.values[in.GetName()] = v
	return v, nil
}

func dimString(d *onnxpb.TensorShapeProto_Dimension) string {
	if d.GetDimParam() != "" {
		return d.GetDimParam()
	}
	return strconv.FormatInt(d.GetDimValue(), 10)
}

// preprocess stores p in the model: a uniform affine map in pre's Scale and
// Offset, anything per channel (or BGR) as a leading 1x1 Conv2D named
// "preprocess" that computes it exactly.
func (b *builder) preprocess(pre *model.Preprocess, p *Preprocessing, meta map[string]string, in *value) error {
	if p == nil {
		if s, o := meta[metaScale], meta[metaOffset]; s != "" && o != "" {
			sc, err1 := strconv.ParseFloat(s, 32)
			off, err2 := strconv.ParseFloat(o, 32)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("metadata %s=%q %s=%q: not numbers", metaScale, s, metaOffset, o)
			}
			pre.Scale, pre.Offset = float32(sc), float32(off)
			return nil
		}
		p = &Preprocessing{Scale: 1.0 / 255}
	}
	c := pre.Channels
	mean, err := perChannel("mean", p.Mean, 0, c)
	if err != nil {
		return err
	}
	std, err := perChannel("std", p.Std, 1, c)
	if err != nil {
		return err
	}
	if p.Scale == 0 || math.IsNaN(float64(p.Scale)) || math.IsInf(float64(p.Scale), 0) {
		return fmt.Errorf("preprocessing: scale %v is not a usable number", p.Scale)
	}
	uniform := !p.BGR
	for i := range c {
		if std[i] == 0 || math.IsNaN(float64(std[i])) {
			return fmt.Errorf("preprocessing: std %v of channel %d", std[i], i)
		}
		uniform = uniform && mean[i] == mean[0] && std[i] == std[0]
	}
	if uniform {
		pre.Scale, pre.Offset = p.Scale/std[0], -mean[0]/std[0]+0 // +0: no "-0"
		return nil
	}
	if p.BGR && c != 3 {
		return fmt.Errorf("preprocessing: BGR needs 3 channels, the input has %d", c)
	}
	pre.Scale, pre.Offset = p.Scale, 0
	kernel, bias := make([]float32, c*c), make([]float32, c)
	for oc := range c {
		src := oc
		if p.BGR {
			src = 2 - oc
		}
		kernel[src*c+oc] = 1 / std[oc]
		bias[oc] = -mean[oc] / std[oc]
	}
	l := b.add(model.Layer{Name: "preprocess", Type: model.Conv2D, Filters: c, KernelSize: [2]int{1, 1}, Strides: [2]int{1, 1},
		Padding: model.Valid, Activation: model.Linear, OutputShape: in.phys}, nil,
		param{"kernel", []int{1, 1, c, c}, kernel}, param{"bias", []int{c}, bias})
	in.layer = l
	return nil
}

func perChannel(what string, v []float32, def float32, c int) ([]float32, error) {
	switch len(v) {
	case 0:
		v = []float32{def}
		fallthrough
	case 1:
		r := make([]float32, c)
		for i := range r {
			r[i] = v[0]
		}
		return r, nil
	case c:
		return v, nil
	}
	return nil, fmt.Errorf("preprocessing: %d %s values for %d channels (give 1 or %d)", len(v), what, c, c)
}

// add appends a layer (with a unique name) that takes the given producers.
func (b *builder) add(l model.Layer, in []int, params ...param) int {
	name := strings.TrimSpace(l.Name)
	if name == "" {
		name = strings.ToLower(l.Type)
	}
	for k := 2; b.names[name]; k++ {
		name = strings.TrimSpace(l.Name) + "_" + strconv.Itoa(k)
		if l.Name == "" {
			name = strings.ToLower(l.Type) + "_" + strconv.Itoa(k)
		}
	}
	b.names[name] = true
	l.Name = name
	if in == nil {
		in = []int{-1}
	}
	b.layers = append(b.layers, &layer{Layer: l, in: in, params: params})
	return len(b.layers) - 1
}

// finish writes the layers into m: inputs by name (only where a layer does
// not take the one before it) and tensors "<layer>/<weight>".
func (b *builder) finish(m *model.Model) {
	for i, l := range b.layers {
		ml := l.Layer
		if len(l.in) != 1 || l.in[0] != i-1 {
			for _, j := range l.in {
				if j < 0 {
					ml.Inputs = append(ml.Inputs, model.InputName)
				} else {
					ml.Inputs = append(ml.Inputs, b.layers[j].Name)
				}
			}
		}
		for _, p := range l.params {
			name := ml.Name + "/" + p.name
			ml.Weights = append(ml.Weights, name)
			m.AddTensor(model.NewFloat32(name, p.shape, p.v))
		}
		m.Layers = append(m.Layers, ml)
	}
}
