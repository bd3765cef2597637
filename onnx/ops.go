package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

type attrs map[string]*onnxpb.AttributeProto

func attrsOf(n *onnxpb.NodeProto) attrs {
	a := attrs{}
	for _, x := range n.GetAttribute() {
		a[x.GetName()] = x
	}
	return a
}

func (a attrs) int(name string, def int64) int64 {
	if x, ok := a[name]; ok {
		return x.GetI()
	}
	return def
}

func (a attrs) ints(name string, def []int64) []int64 {
	if x, ok := a[name]; ok {
		return x.GetInts()
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	if x, ok := a[name]; ok {
		return x.GetF()
	}
	return def
}

func (a attrs) str(name, def string) string {
	if x, ok := a[name]; ok {
		return string(x.GetS())
	}
	return def
}

// node converts one ONNX node.
func (b *builder) node(n *onnxpb.NodeProto) error {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return fmt.Errorf("operator domain %q is not supported; supported (default domain): %s", d, Supported)
	}
	a := attrsOf(n)
	if n.GetOpType() == "Constant" {
		return b.constantNode(n, a)
	}
	if len(n.GetOutput()) == 0 {
		return errors.New("node has no output")
	}
	out := n.GetOutput()[0]
	if n.GetOpType() == "DequantizeLinear" && len(n.GetInput()) > 0 && b.consts[n.GetInput()[0]] != nil {
		return b.dequantizeConst(n, a)
	}
	if b.allConst(n) {
		return fmt.Errorf("computes a constant from constants; fold constants before importing (e.g. export with do_constant_folding=True)")
	}
	switch n.GetOpType() {
	case "Identity", "Dropout":
		if len(n.GetOutput()) > 1 && b.uses[n.GetOutput()[1]] > 0 {
			return errors.New("Dropout's mask output is used; only inference graphs are supported")
		}
		v, err := b.val(n, 0)
		if err != nil {
			return err
		}
		b.values[out] = v
		return nil
	case "QuantizeLinear":
		return b.quantizeLinear(n, out)
	case "DequantizeLinear":
		return b.dequantizeLinear(n, out)
	case "Conv":
		return b.conv(n, a, out)
	case "Gemm", "MatMul":
		return b.dense(n, a, out)
	case "Add":
		return b.addNode(n, out)
	case "Relu", "Clip":
		return b.relu(n, a, out)
	case "Sigmoid", "Softmax":
		return b.activation(n, a, out)
	case "MaxPool", "AveragePool":
		return b.pool(n, a, out)
	case "GlobalAveragePool":
		v, err := b.spatial(n, 0)
		if err != nil {
			return err
		}
		c := v.shape[0]
		l := b.add(model.Layer{Name: n.GetName(), Type: model.GlobalAveragePooling2D, OutputShape: []int{c}}, []int{v.layer})
		b.values[out] = &value{layer: l, shape: []int{c, 1, 1}, phys: []int{c}, nchw: true}
		return nil
	case "BatchNormalization":
		return b.batchNorm(n, a, out)
	case "Flatten", "Reshape":
		return b.flatten(n, a, out)
	case "Transpose":
		return b.transpose(n, a, out)
	case "Pad":
		return b.pad(n, a, out)
	}
	return fmt.Errorf("operator %s is not supported; supported: %s", n.GetOpType(), Supported)
}

func (b *builder) allConst(n *onnxpb.NodeProto) bool {
	for _, x := range n.GetInput() {
		if _, ok := b.consts[x]; !ok && x != "" {
			return false
		}
	}
	return len(n.GetInput()) > 0
}

func (b *builder) constantNode(n *onnxpb.NodeProto, a attrs) error {
	if len(n.GetOutput()) != 1 {
		return errors.New("Constant needs one output")
	}
	var c *constant
	switch {
	case a["value"] != nil:
		var err error
		if c, err = decodeTensor(a["value"].GetT()); err != nil {
			return err
		}
	case a["value_float"] != nil:
		c = &constant{floats: []float32{a.float("value_float", 0)}}
	case a["value_floats"] != nil:
		f := a["value_floats"].GetFloats()
		c = &constant{dims: []int{len(f)}, floats: f}
	case a["value_int"] != nil:
		c = &constant{ints: []int64{a.int("value_int", 0)}}
	case a["value_ints"] != nil:
		v := a.ints("value_ints", nil)
		c = &constant{dims: []int{len(v)}, ints: v}
	default:
		return errors.New("Constant: only value, value_float(s) and value_int(s) are supported")
	}
	b.consts[n.GetOutput()[0]] = c
	return nil
}

// val returns the value of input i, refusing a pending Pad (only Conv takes
// those) and constants.
func (b *builder) val(n *onnxpb.NodeProto, i int) (*value, error) {
	v, err := b.rawVal(n, i)
	if err == nil && v.pads != nil {
		return nil, fmt.Errorf("takes the output of a Pad; a Pad is supported only right before a Conv")
	}
	return v, err
}

func (b *builder) rawVal(n *onnxpb.NodeProto, i int) (*value, error) {
	if i >= len(n.GetInput()) {
		return nil, fmt.Errorf("needs input %d, has %d inputs", i+1, len(n.GetInput()))
	}
	name := n.GetInput()[i]
	if v, ok := b.values[name]; ok {
		if v.q != nil && n.GetOpType() != "DequantizeLinear" {
			return v, fmt.Errorf("reads int8 data (%q); a QuantizeLinear must be followed by a DequantizeLinear", name)
		}
		return v, nil
	}
	if _, ok := b.consts[name]; ok {
		return nil, fmt.Errorf("input %d (%q) is a constant; a computed tensor is supported there", i+1, name)
	}
	return nil, fmt.Errorf("input %q is not computed by an earlier node (graph not in topological order?)", name)
}

// spatial returns input i as an NCHW feature map.
func (b *builder) spatial(n *onnxpb.NodeProto, i int) (*value, error) {
	v, err := b.val(n, i)
	if err != nil {
		return nil, err
	}
	if !v.nchw || len(v.phys) != 3 {
		return nil, fmt.Errorf("input has shape %v (%s); an NCHW feature map is supported", v.shape, layoutName(v))
	}
	return v, nil
}

func layoutName(v *value) string {
	switch {
	case len(v.shape) != 3:
		return "flat"
	case v.nchw:
		return "NCHW"
	}
	return "NHWC"
}

// konst returns input i as a constant (nil if the input is absent).
func (b *builder) konst(n *onnxpb.NodeProto, i int, what string) (*constant, error) {
	if i >= len(n.GetInput()) || n.GetInput()[i] == "" {
		return nil, nil
	}
	c, ok := b.consts[n.GetInput()[i]]
	if !ok {
		return nil, fmt.Errorf("%s (%q) is computed by the graph; a constant (initializer) is supported", what, n.GetInput()[i])
	}
	return c, nil
}

func (b *builder) floats(n *onnxpb.NodeProto, i int, what string, dims ...int) ([]float32, error) {
	c, err := b.konst(n, i, what)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if c.floats == nil {
		return nil, fmt.Errorf("%s is not a float32 tensor", what)
	}
	if dims != nil && !slices.Equal(c.dims, dims) {
		return nil, fmt.Errorf("%s has shape %v, want %v", what, c.dims, dims)
	}
	return c.floats, nil
}

// fusable reports whether the layer computing input i can take an
// activation or bias: a convolution or Dense without one, whose output
// nothing else reads.
func (b *builder) fusable(n *onnxpb.NodeProto, v *value, i int) bool {
	if v.layer < 0 || b.uses[n.GetInput()[i]] != 1 || v.perm != nil {
		return false
	}
	l := b.layers[v.layer]
	switch l.Type {
	case model.Conv2D, model.DepthwiseConv2D, model.Dense:
		return l.Activation == model.Linear && l.Name != "preprocess"
	}
	return false
}

func (b *builder) relu(n *onnxpb.NodeProto, a attrs, out string) error {
	v, err := b.val(n, 0)
	if err != nil {
		return err
	}
	act, maxValue := model.ReLU, 0.0
	if n.GetOpType() == "Clip" {
		lo, hi, err := b.clipRange(n)
		if err != nil {
			return err
		}
		switch {
		case lo != 0:
			return fmt.Errorf("Clip(%v, %v): Clip is supported as ReLU (min 0, no max) or ReLU6 (min 0, max 6)", lo, hi)
		case hi == 6:
			act, maxValue = model.ReLU6, 6
		case !math.IsInf(float64(hi), 1):
			return fmt.Errorf("Clip(%v, %v): Clip is supported as ReLU (min 0, no max) or ReLU6 (min 0, max 6)", lo, hi)
		}
	}
	if b.fusable(n, v, 0) {
		b.layers[v.layer].Activation = act
		b.values[out] = v
		return nil
	}
	l := b.add(model.Layer{Name: n.GetName(), Type: model.ReLULayer, MaxValue: maxValue, OutputShape: v.phys}, []int{v.layer})
	b.values[out] = &value{layer: l, shape: v.shape, phys: v.phys, nchw: v.nchw, perm: v.perm}
	return nil
}

func (b *builder) clipRange(n *onnxpb.NodeProto) (lo, hi float32, err error) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	for i, p := range []*float32{&lo, &hi} {
		c, err := b.konst(n, i+1, []string{"Clip's min", "Clip's max"}[i])
		if err != nil {
			return 0, 0, err
		}
		if c == nil {
			continue
		}
		if len(c.floats) != 1 {
			return 0, 0, fmt.Errorf("Clip's bound is not one float32")
		}
		*p = c.floats[0]
	}
	return lo, hi, nil
}

func (b *builder) activation(n *onnxpb.NodeProto, a attrs, out string) error {
	v, err := b.val(n, 0)
	if err != nil {
		return err
	}
	act := model.Sigmoid
	if n.GetOpType() == "Softmax" {
		act = model.Softmax
		def := int64(1)
		if b.opset >= 13 {
			def = -1
		}
		if ax := a.int("axis", def); len(v.shape) != 1 || (ax != 1 && ax != -1) {
			return fmt.Errorf("Softmax over axis %d of a %d-D tensor; Softmax over the classes of a Gemm/MatMul output is supported", ax, len(v.shape)+1)
		}
	}
	if !b.fusable(n, v, 0) || (act == model.Softmax && b.layers[v.layer].Type != model.Dense) {
		return fmt.Errorf("%s is supported only right after a Conv or Gemm/MatMul (Softmax: Gemm/MatMul) whose output nothing else reads", n.GetOpType())
	}
	b.layers[v.layer].Activation = act
	b.values[out] = v
	return nil
}

func (b *builder) addNode(n *onnxpb.NodeProto, out string) error {
	if len(n.GetInput()) != 2 {
		return fmt.Errorf("Add needs 2 inputs, has %d", len(n.GetInput()))
	}
	ci := -1
	for i, x := range n.GetInput() {
		if _, ok := b.consts[x]; ok {
			ci = i
		}
	}
	if ci >= 0 {
		return b.addBias(n, 1-ci, out)
	}
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	y, err := b.val(n, 1)
	if err != nil {
		return err
	}
	if !slices.Equal(x.shape, y.shape) || !slices.Equal(x.phys, y.phys) || x.nchw != y.nchw || x.perm != nil || y.perm != nil {
		return fmt.Errorf("adds %v (%s) to %v (%s); tensors of the same shape and layout are supported (no broadcasting)", x.shape, layoutName(x), y.shape, layoutName(y))
	}
	l := b.add(model.Layer{Name: n.GetName(), Type: model.Add, OutputShape: x.phys}, []int{x.layer, y.layer})
	b.values[out] = &value{layer: l, shape: x.shape, phys: x.phys, nchw: x.nchw}
	return nil
}

// addBias folds the constant added to input i into its layer's bias.
func (b *builder) addBias(n *onnxpb.NodeProto, i int, out string) error {
	v, err := b.val(n, i)
	if err != nil {
		return err
	}
	c := b.consts[n.GetInput()[1-i]]
	unsupported := fmt.Errorf("adding a constant %v is supported only as the per-channel bias of the Conv or Gemm/MatMul right before it", c.dims)
	if !b.fusable(n, v, i) || c.floats == nil {
		return unsupported
	}
	l := b.layers[v.layer]
	ch := l.OutputShape[len(l.OutputShape)-1]
	// The constant's shape broadcast against the output: one value per
	// channel, on the channel axis (last of Dense's [N, units], second of
	// a Conv's [N, C, H, W]).
	want := map[bool][][]int{
		true:  {{ch}, {1, ch}},
		false: {{ch, 1, 1}, {1, ch, 1, 1}},
	}[l.Type == model.Dense]
	if !slices.ContainsFunc(want, func(d []int) bool { return slices.Equal(d, c.dims) }) && !(ch == 1 && c.elems() == 1) {
		return unsupported
	}
	bias := l.param("bias")
	if bias == nil {
		l.NoBias = false
		l.params = append(l.params, param{"bias", []int{ch}, make([]float32, ch)})
		bias = &l.params[len(l.params)-1]
	}
	for k := range bias.v {
		bias.v[k] += c.floats[k]
	}
	b.values[out] = v
	return nil
}

func (l *layer) param(name string) *param {
	for k := range l.params {
		if l.params[k].name == name {
			return &l.params[k]
		}
	}
	return nil
}

// dense converts Gemm (A·B' + C with transB, alpha, beta) and MatMul (A·B)
// with a constant B into a Dense layer, permuting B's rows when A is
// flattened NCHW features.
func (b *builder) dense(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 1 {
		return fmt.Errorf("input has shape %v; a [batch, features] input is supported (Flatten first)", x.shape)
	}
	w, err := b.konst(n, 1, "the weight matrix B")
	if err != nil {
		return err
	}
	if w == nil || w.floats == nil || len(w.dims) != 2 {
		return fmt.Errorf("the weight matrix B must be a 2-D float32 constant")
	}
	transB, alpha, beta := false, float32(1), float32(1)
	if n.GetOpType() == "Gemm" {
		if a.int("transA", 0) != 0 {
			return fmt.Errorf("Gemm with transA=1 is not supported")
		}
		transB, alpha, beta = a.int("transB", 0) != 0, a.float("alpha", 1), a.float("beta", 1)
	}
	in, units := w.dims[0], w.dims[1]
	if transB {
		in, units = units, in
	}
	if in != x.shape[0] {
		return fmt.Errorf("B has %v for %d input features", w.dims, x.shape[0])
	}
	kernel := make([]float32, in*units)
	for l := range in {
		p := l
		if x.perm != nil {
			p = x.perm[l]
		}
		for o := range units {
			wv := w.floats[l*units+o]
			if transB {
				wv = w.floats[o*in+l]
			}
			kernel[p*units+o] = alpha * wv
		}
	}
	bias := make([]float32, units)
	if n.GetOpType() == "Gemm" {
		c, err := b.konst(n, 2, "the bias C")
		if err != nil {
			return err
		}
		if c != nil {
			if c.floats == nil || (c.elems() != units && c.elems() != 1) || len(c.dims) > 2 {
				return fmt.Errorf("bias C has shape %v; [%d] or a scalar is supported", c.dims, units)
			}
			for o := range bias {
				bias[o] = beta * c.floats[o%len(c.floats)]
			}
		}
	}
	l := b.add(model.Layer{Name: n.GetName(), Type: model.Dense, Units: units, Activation: model.Linear, OutputShape: []int{units}},
		[]int{x.layer}, param{"kernel", []int{in, units}, kernel}, param{"bias", []int{units}, bias})
	b.values[out] = &value{layer: l, shape: []int{units}, phys: []int{units}}
	return nil
}

// windowAttrs reads a Conv or pool's kernel, strides and pads (auto_pad
// resolved) for input height h and width w.
func windowAttrs(a attrs, k [2]int, h, w int, ceil bool) ([2]axis, error) {
	if d := a.ints("dilations", nil); d != nil && !slices.Equal(d, []int64{1, 1}) {
		return [2]axis{}, fmt.Errorf("dilations %v are not supported (only 1)", d)
	}
	st := a.ints("strides", []int64{1, 1})
	pads := a.ints("pads", []int64{0, 0, 0, 0})
	if len(st) != 2 || len(pads) != 4 {
		return [2]axis{}, fmt.Errorf("strides %v and pads %v: 2-D windows are supported", st, pads)
	}
	ax := [2]axis{{n: h, k: k[0]}, {n: w, k: k[1]}}
	for i := range ax {
		s, before, after := st[i], pads[i], pads[i+2]
		if s < 1 || s > 64 || before < 0 || after < 0 || before > 64 || after > 64 {
			return [2]axis{}, fmt.Errorf("stride %d and pads %d, %d are out of range", s, before, after)
		}
		ax[i].s, ax[i].before, ax[i].after = int(s), int(before), int(after)
		switch p := a.str("auto_pad", "NOTSET"); p {
		case "NOTSET", "":
		case "VALID":
			ax[i].before, ax[i].after = 0, 0
		case "SAME_UPPER", "SAME_LOWER":
			o := (ax[i].n + ax[i].s - 1) / ax[i].s
			total := max((o-1)*ax[i].s+ax[i].k-ax[i].n, 0)
			ax[i].before = total / 2
			if p == "SAME_LOWER" {
				ax[i].before = total - total/2
			}
			ax[i].after = total - ax[i].before
		default:
			return [2]axis{}, fmt.Errorf("auto_pad %q is not supported", p)
		}
		ax[i].out = ax[i].onnxOut(ceil)
		if ax[i].out < 1 {
			return [2]axis{}, fmt.Errorf("window %d does not fit the input %d", ax[i].k, ax[i].n)
		}
	}
	return ax, nil
}

// conv converts Conv: group 1 to Conv2D, group == channels == filters to
// DepthwiseConv2D, weights OIHW to HWIO (depthwise [KH, KW, C, 1]), a
// folded Pad added to the pads, and kernels zero-extended where ONNX's
// padding is not Keras' (see convExtension).
func (b *builder) conv(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.rawVal(n, 0)
	if err != nil {
		return err
	}
	if !x.nchw || len(x.phys) != 3 {
		return fmt.Errorf("input has shape %v (%s); an NCHW feature map is supported", x.shape, layoutName(x))
	}
	wc, err := b.konst(n, 1, "the weights W")
	if err != nil {
		return err
	}
	if wc == nil || wc.floats == nil || len(wc.dims) != 4 {
		return fmt.Errorf("weights W must be a 4-D float32 constant (2-D convolutions are supported)")
	}
	oc, icg, kh, kw := wc.dims[0], wc.dims[1], wc.dims[2], wc.dims[3]
	c, h, w := x.shape[0], x.shape[1], x.shape[2]
	if kh < 1 || kw < 1 || kh > 64 || kw > 64 {
		return fmt.Errorf("kernel %dx%d: kernels up to 64x64 are supported", kh, kw)
	}
	if ks := a.ints("kernel_shape", nil); ks != nil && !slices.Equal(ks, []int64{int64(kh), int64(kw)}) {
		return fmt.Errorf("kernel_shape %v does not match W %v", ks, wc.dims)
	}
	group := int(a.int("group", 1))
	depthwise := group > 1
	switch {
	case group == 1 && icg == c:
	case group == c && icg == 1 && oc == c:
	case group == c && icg == 1:
		return fmt.Errorf("depthwise convolution with %d filters for %d channels (depth multiplier %d); only depth multiplier 1 is supported", oc, c, oc/max(c, 1))
	default:
		return fmt.Errorf("grouped convolution (group %d, W %v, %d input channels); group 1 and depthwise (group = channels = filters) are supported", group, wc.dims, c)
	}
	ax, err := windowAttrs(a, [2]int{kh, kw}, h, w, false)
	if err != nil {
		return err
	}
	if p := x.pads; p != nil {
		for i := range ax {
			ax[i].before += p[i]
			ax[i].after += p[i+2]
			ax[i].n -= p[i] + p[i+2]
			ax[i].out = ax[i].onnxOut(false)
		}
	}
	win, ok := solveConv(ax[0], ax[1])
	if !ok {
		return fmt.Errorf("padding top,bottom %d,%d and left,right %d,%d with kernel %dx%d, strides %d,%d on %dx%d cannot be expressed with 'same' or 'valid' padding",
			ax[0].before, ax[0].after, ax[1].before, ax[1].after, kh, kw, ax[0].s, ax[1].s, ax[0].n, ax[1].n)
	}
	KH, KW := kh+win.pre[0]+win.post[0], kw+win.pre[1]+win.post[1]
	if ax[0].out*ax[1].out*oc > maxElems {
		return fmt.Errorf("output %dx%dx%d is more than %d values", ax[0].out, ax[1].out, oc, maxElems)
	}
	ic := c
	if depthwise {
		ic = 1
	}
	kernel := make([]float32, KH*KW*ic*oc)
	for o := range oc {
		for i := range ic {
			for y := range kh {
				for z := range kw {
					v := wc.floats[((o*ic+i)*kh+y)*kw+z]
					ky, kz := y+win.pre[0], z+win.pre[1]
					if depthwise {
						kernel[(ky*KW+kz)*oc+o] = v
					} else {
						kernel[((ky*KW+kz)*ic+i)*oc+o] = v
					}
				}
			}
		}
	}
	l := model.Layer{Name: n.GetName(), Type: model.Conv2D, Filters: oc, KernelSize: [2]int{KH, KW}, Strides: [2]int{ax[0].s, ax[1].s},
		Padding: win.padding, Activation: model.Linear, OutputShape: []int{ax[0].out, ax[1].out, oc}}
	params := []param{{"kernel", []int{KH, KW, c, oc}, kernel}}
	if depthwise {
		l.Type, l.Filters, l.DepthMultiplier = model.DepthwiseConv2D, 0, 1
		params = []param{{"depthwise_kernel", []int{KH, KW, c, 1}, kernel}}
	}
	bias, err := b.konst(n, 2, "the bias B")
	if err != nil {
		return err
	}
	if bias == nil {
		l.NoBias = true
	} else {
		if bias.floats == nil || !slices.Equal(bias.dims, []int{oc}) {
			return fmt.Errorf("bias B has shape %v, want [%d]", bias.dims, oc)
		}
		params = append(params, param{"bias", []int{oc}, append([]float32(nil), bias.floats...)})
	}
	li := b.add(l, []int{x.layer}, params...)
	b.values[out] = &value{layer: li, shape: []int{oc, ax[0].out, ax[1].out}, phys: l.OutputShape, nchw: true}
	return nil
}

func (b *builder) pool(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.spatial(n, 0)
	if err != nil {
		return err
	}
	if len(n.GetOutput()) > 1 && b.uses[n.GetOutput()[1]] > 0 {
		return errors.New("MaxPool's Indices output is not supported")
	}
	ks := a.ints("kernel_shape", nil)
	if len(ks) != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 64 || ks[1] > 64 {
		return fmt.Errorf("kernel_shape %v: 2-D pools up to 64x64 are supported", ks)
	}
	ax, err := windowAttrs(a, [2]int{int(ks[0]), int(ks[1])}, x.shape[1], x.shape[2], a.int("ceil_mode", 0) != 0)
	if err != nil {
		return err
	}
	kind := model.MaxPool2D
	if n.GetOpType() == "AveragePool" {
		kind = model.AveragePooling2D
		if a.int("count_include_pad", 0) != 0 && ax[0].before+ax[0].after+ax[1].before+ax[1].after > 0 {
			return errors.New("AveragePool with count_include_pad=1 and padding is not supported (the average is over real pixels)")
		}
	}
	c := x.shape[0]
	outShape := []int{ax[0].out, ax[1].out, c}
	pl := model.Layer{Name: n.GetName(), Type: kind, PoolSize: [2]int{ax[0].k, ax[1].k}, Strides: [2]int{ax[0].s, ax[1].s}, OutputShape: outShape}
	if pl.Padding = poolPadding(ax[0], ax[1]); pl.Padding != "" {
		li := b.add(pl, []int{x.layer})
		b.values[out] = &value{layer: li, shape: []int{c, ax[0].out, ax[1].out}, phys: outShape, nchw: true}
		return nil
	}
	if !poolViaStride1(ax[0], ax[1]) {
		return fmt.Errorf("padding top,bottom %d,%d and left,right %d,%d with window %dx%d, strides %d,%d on %dx%d cannot be expressed with 'same' or 'valid' padding",
			ax[0].before, ax[0].after, ax[1].before, ax[1].after, ax[0].k, ax[1].k, ax[0].s, ax[1].s, ax[0].n, ax[1].n)
	}
	// A stride-1 'same' pool, then every s-th pixel.
	pl.Strides, pl.Padding, pl.OutputShape = [2]int{1, 1}, model.Same, x.phys
	li := b.add(pl, []int{x.layer})
	sub := b.add(model.Layer{Name: n.GetName() + "_stride", Type: model.MaxPool2D, PoolSize: [2]int{1, 1}, Strides: [2]int{ax[0].s, ax[1].s},
		Padding: model.Valid, OutputShape: outShape}, []int{li})
	b.values[out] = &value{layer: sub, shape: []int{c, ax[0].out, ax[1].out}, phys: outShape, nchw: true}
	return nil
}

func (b *builder) batchNorm(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	if a.int("training_mode", 0) != 0 || len(n.GetOutput()) > 1 && slices.ContainsFunc(n.GetOutput()[1:], func(o string) bool { return b.uses[o] > 0 }) {
		return errors.New("BatchNormalization in training mode is not supported")
	}
	if x.perm != nil || (len(x.shape) == 3 && !x.nchw) {
		return fmt.Errorf("input %v (%s): BatchNormalization over the channels of NCHW features is supported", x.shape, layoutName(x))
	}
	c := x.shape[0]
	var ps []param
	for i, name := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		v, err := b.floats(n, i+1, "BatchNormalization's "+[]string{"scale", "B", "mean", "var"}[i], c)
		if err != nil {
			return err
		}
		ps = append(ps, param{name, []int{c}, append([]float32(nil), v...)})
	}
	l := b.add(model.Layer{Name: n.GetName(), Type: model.BatchNormalization, Epsilon: decimal(a.float("epsilon", 1e-5)),
		Momentum: decimal(a.float("momentum", 0.9)), OutputShape: x.phys}, []int{x.layer}, ps...)
	b.values[out] = &value{layer: l, shape: x.shape, phys: x.phys, nchw: x.nchw}
	return nil
}

// flatten converts Flatten(axis 1) and a Reshape to [batch, features] with
// a constant shape. Flattening NCHW features records the order in which the
// next Gemm/MatMul must read its weights.
func (b *builder) flatten(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	size := elems(x.shape)
	if n.GetOpType() == "Flatten" {
		if ax := a.int("axis", 1); ax != 1 {
			return fmt.Errorf("Flatten axis %d; axis 1 is supported", ax)
		}
	} else {
		s, err := b.konst(n, 1, "the shape")
		if err != nil {
			return err
		}
		if s == nil || s.ints == nil {
			return errors.New("the shape must be an int64 constant")
		}
		if !flattens(s.ints, size) {
			return fmt.Errorf("Reshape of %v to %v; only flattening to [batch, %d] is supported", x.shape, s.ints, size)
		}
	}
	if len(x.phys) == 1 {
		b.values[out] = &value{layer: x.layer, shape: []int{size}, phys: x.phys, perm: x.perm}
		return nil
	}
	if size > maxElems {
		return fmt.Errorf("flattens %v: more than %d values", x.shape, maxElems)
	}
	l := b.add(model.Layer{Name: n.GetName(), Type: model.Flatten, OutputShape: []int{size}}, []int{x.layer})
	v := &value{layer: l, shape: []int{size}, phys: []int{size}}
	if x.nchw && x.shape[0] > 1 && x.shape[1]*x.shape[2] > 1 {
		c, h, w := x.shape[0], x.shape[1], x.shape[2]
		v.perm = make([]int, size)
		for ci := range c {
			for y := range h {
				for z := range w {
					v.perm[(ci*h+y)*w+z] = (y*w+z)*c + ci
				}
			}
		}
	}
	b.values[out] = v
	return nil
}

// flattens reports whether Reshape's shape s (0 copies a dimension, -1 is
// inferred) makes [batch, size] of a [batch, ...] tensor.
func flattens(s []int64, size int) bool {
	if len(s) != 2 {
		return false
	}
	okBatch := s[0] == 0 || s[0] == 1 || s[0] == -1 && s[1] == int64(size)
	return okBatch && (s[1] == int64(size) || s[1] == -1 && s[0] != -1)
}

// transpose turns NHWC into NCHW and back (as tf2onnx wraps Keras' layers);
// the data stays where it is.
func (b *builder) transpose(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.val(n, 0)
	if err != nil {
		return err
	}
	perm := a.ints("perm", nil)
	toNCHW, toNHWC := slices.Equal(perm, []int64{0, 3, 1, 2}), slices.Equal(perm, []int64{0, 2, 3, 1})
	switch {
	case len(x.shape) == 3 && x.layer >= -1 && len(x.phys) == 3 && toNCHW && !x.nchw:
		b.values[out] = &value{layer: x.layer, shape: []int{x.shape[2], x.shape[0], x.shape[1]}, phys: x.phys, nchw: true}
	case len(x.shape) == 3 && len(x.phys) == 3 && toNHWC && x.nchw:
		b.values[out] = &value{layer: x.layer, shape: x.phys, phys: x.phys}
	default:
		return fmt.Errorf("Transpose %v of a %v (%s) tensor; only NHWC<->NCHW of feature maps (perm 0,3,1,2 and 0,2,3,1) is supported", perm, x.shape, layoutName(x))
	}
	return nil
}

// pad records a Pad of zeros around the height and width for the next Conv.
func (b *builder) pad(n *onnxpb.NodeProto, a attrs, out string) error {
	x, err := b.spatial(n, 0)
	if err != nil {
		return err
	}
	if m := a.str("mode", "constant"); m != "constant" {
		return fmt.Errorf("Pad mode %q; only constant zeros before a Conv are supported", m)
	}
	p, err := b.konst(n, 1, "the pads")
	if err != nil {
		return err
	}
	if p == nil || len(p.ints) != 8 {
		return errors.New("pads must be an int64 constant of 8 values ([N, C, H, W] begins and ends)")
	}
	if v, err := b.konst(n, 2, "the constant value"); err != nil {
		return err
	} else if v != nil && (len(v.floats) != 1 || v.floats[0] != 0) {
		return errors.New("Pad with a value other than 0 is not supported")
	}
	if len(n.GetInput()) > 3 && n.GetInput()[3] != "" {
		return errors.New("Pad with axes is not supported")
	}
	pi := p.ints
	if pi[0] != 0 || pi[1] != 0 || pi[4] != 0 || pi[5] != 0 {
		return fmt.Errorf("pads %v: only height and width may be padded", pi)
	}
	pads := [4]int{int(pi[2]), int(pi[3]), int(pi[6]), int(pi[7])}
	for _, q := range pads {
		if q < 0 || q > 64 {
			return fmt.Errorf("pads %v out of range (0..64)", pi)
		}
	}
	c, h, w := x.shape[0], x.shape[1]+pads[0]+pads[2], x.shape[2]+pads[1]+pads[3]
	if x.pads != nil {
		for i := range pads {
			pads[i] += x.pads[i]
		}
	}
	b.values[out] = &value{layer: x.layer, shape: []int{c, h, w}, phys: x.phys, nchw: true, pads: &pads}
	return nil
}

// decimal widens a float32 attribute to the float64 of its shortest
// decimal form (float32 1e-3 becomes 0.001, not 0.0010000000474974513), the
// value a Keras model holds before export.
func decimal(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}
