package onnx

import (
	"fmt"

	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// A quantised ONNX model in operator form (QOperator: QLinearConv,
// QLinearMatMul, and MaxPool, Flatten, Reshape, Transpose, Identity on int8
// tensors) computes what its QDQ form does. expandQLinear rewrites it into
// that form, which Import reads: QLinearConv becomes DequantizeLinear,
// Conv, QuantizeLinear; a pass-through operator on an int8 tensor is
// wrapped in DequantizeLinear and QuantizeLinear with its input's scale and
// zero point.
func (b *builder) expandQLinear(nodes []*onnxpb.NodeProto) ([]*onnxpb.NodeProto, error) {
	type qp struct{ scale, zp string }
	int8s := map[string]qp{} // int8 tensors and their parameters
	var r []*onnxpb.NodeProto
	dq := func(x string, p qp, suffix string) string {
		out := x + "/" + suffix
		r = append(r, &onnxpb.NodeProto{OpType: ptr("DequantizeLinear"), Name: ptr(out), Input: []string{x, p.scale, p.zp}, Output: []string{out}})
		return out
	}
	q := func(x, out string, p qp) {
		r = append(r, &onnxpb.NodeProto{OpType: ptr("QuantizeLinear"), Name: ptr(out + "/quantize"), Input: []string{x, p.scale, p.zp}, Output: []string{out}})
		int8s[out] = p
	}
	for _, n := range nodes {
		in, op := n.GetInput(), n.GetOpType()
		switch op {
		case "QuantizeLinear":
			if len(in) == 3 && len(n.GetOutput()) == 1 {
				int8s[n.GetOutput()[0]] = qp{in[1], in[2]}
			}
			r = append(r, n)
		case "QLinearConv", "QLinearMatMul":
			if len(in) < 8 || len(n.GetOutput()) != 1 {
				return nil, fmt.Errorf("node %q (%s): needs 8 inputs and 1 output", n.GetName(), op)
			}
			x := dq(in[0], qp{in[1], in[2]}, "dequantize")
			axis := int64(0) // Conv weights per output channel
			fop := "Conv"
			if op == "QLinearMatMul" {
				axis, fop = 1, "MatMul" // [K, N] per column
			}
			w := in[3] + "/dequantize"
			r = append(r, &onnxpb.NodeProto{OpType: ptr("DequantizeLinear"), Name: ptr(w), Input: []string{in[3], in[4], in[5]}, Output: []string{w},
				Attribute: []*onnxpb.AttributeProto{intAttr("axis", int(axis))}})
			fin := []string{x, w}
			if op == "QLinearConv" && len(in) > 8 && in[8] != "" {
				bias, err := b.qlinearBias(n)
				if err != nil {
					return nil, err
				}
				fin = append(fin, bias)
			}
			y := n.GetOutput()[0] + "/float"
			r = append(r, &onnxpb.NodeProto{OpType: &fop, Name: n.Name, Input: fin, Output: []string{y}, Attribute: n.GetAttribute()})
			q(y, n.GetOutput()[0], qp{in[6], in[7]})
		case "MaxPool", "Flatten", "Reshape", "Transpose", "Identity":
			p, ok := int8s[firstOf(in)]
			if !ok {
				r = append(r, n)
				continue
			}
			c := &onnxpb.NodeProto{OpType: n.OpType, Name: n.Name, Attribute: n.GetAttribute(), Input: append([]string{dq(in[0], p, "dequantize")}, in[1:]...)}
			y := n.GetOutput()[0] + "/float"
			c.Output = []string{y}
			r = append(r, c)
			q(y, n.GetOutput()[0], p)
		default:
			r = append(r, n)
		}
	}
	return r, nil
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// qlinearBias makes QLinearConv's int32 bias a float constant: B * x_scale
// * w_scale[c].
func (b *builder) qlinearBias(n *onnxpb.NodeProto) (string, error) {
	in := n.GetInput()
	var cs [3]*constant
	for i, k := range []int{1, 4, 8} {
		c, ok := b.consts[in[k]]
		if !ok {
			return "", fmt.Errorf("node %q (QLinearConv): input %d (%q) must be an initializer", n.GetName(), k+1, in[k])
		}
		cs[i] = c
	}
	xs, ws, bias := cs[0], cs[1], cs[2]
	if len(xs.floats) != 1 || bias.ints == nil || (len(ws.floats) != 1 && len(ws.floats) != len(bias.ints)) {
		return "", fmt.Errorf("node %q (QLinearConv): bias %v with weight scales %v", n.GetName(), bias.dims, ws.dims)
	}
	f := make([]float32, len(bias.ints))
	for c, v := range bias.ints {
		f[c] = float32(v) * xs.floats[0] * ws.floats[c%len(ws.floats)]
	}
	name := n.GetOutput()[0] + "/bias"
	b.consts[name] = &constant{dtype: onnxpb.TensorProto_FLOAT, dims: bias.dims, floats: f}
	return name, nil
}
