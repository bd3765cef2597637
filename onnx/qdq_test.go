package onnx

import (
	"math"
	"testing"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/onnx/onnxpb"
)

// TestQDQAgainstONNXRuntime imports the seed models in QDQ form (int8 and
// uint8 activations) and in operator form (QLinearConv, QLinearMatMul) as
// int8 models and runs them in the int8 runtime: the
// logits are close to ONNX Runtime's (ORT requantises in float, we in fixed
// point as TFLite does, so an intermediate activation may differ by a step:
// measured 0.65 and 1.24 output steps for the QDQ files, whose float head we
// quantise with a range bounded from its weights, and 6 of the 7x finer
// steps the QOperator file gives its head; the bounds below leave a
// margin), and top-1 agrees on every image whose logit is more than two
// steps from the decision boundary.
func TestQDQAgainstONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch and ONNX Runtime")
	}
	for name, steps := range map[string]float64{"seed-tutorial-qdq": 2, "seed-exercise-qdq": 2, "seed-tutorial-qop": 8} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			m := importFile(t, path, Options{})
			if m.DType != model.Int8 {
				t.Fatalf("imported as %s, want int8", m.DType)
			}
			images := realImages(t, 100, 32, 32)
			ref := runORT(t, path, onnxInputs(images, 32, 32, Preprocessing{Scale: 1.0 / 255}, false), "3,32,32", len(images))
			r, err := infer.Load(m, infer.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			out := m.Layers[len(m.Layers)-1].Quant.Output
			worst, agree, clear, clearAgree, lo, hi := 0.0, 0, 0, 0, math.Inf(1), math.Inf(-1)
			for i, img := range images {
				res, err := r.Run(img)
				if err != nil {
					t.Fatal(err)
				}
				ours := float64(out.Scale) * float64(int32(r.RawOutput()[0])-out.ZeroPoint)
				p := float64(ref[i][0])
				theirs := math.Log(p / (1 - p))
				lo, hi = min(lo, theirs), max(hi, theirs)
				worst = max(worst, math.Abs(ours-theirs)/float64(out.Scale))
				same := res.Class == argmax(ref[i])
				if same {
					agree++
				}
				if math.Abs(theirs) > 2*float64(out.Scale) {
					clear++
					if same {
						clearAgree++
					}
				}
			}
			t.Logf("%s: %d images, ORT's logits in [%.4g, %.4g]: max |logit - ORT's| %.3f steps (step %.4g), same top-1 %d/%d (%d/%d more than 2 steps from the boundary)",
				name, len(images), lo, hi, worst, out.Scale, agree, len(images), clearAgree, clear)
			if (hi-lo)/float64(out.Scale) < 10 {
				t.Errorf("ONNX Runtime's logits span only %.1f steps over the images; the comparison says little", (hi-lo)/float64(out.Scale))
			}
			if worst > steps {
				t.Errorf("logits differ from ONNX Runtime's by up to %.3f quantisation steps, want <= %g", worst, steps)
			}
			if clearAgree < clear {
				t.Errorf("top-1 agrees on %d/%d images whose logit is more than 2 steps from the boundary", clearAgree, clear)
			}
		})
	}
}

func TestQDQErrors(t *testing.T) {
	// A Conv reading a QuantizeLinear's output directly.
	g := withHead(newGraph(append([]*onnxpb.NodeProto{
		node("QuantizeLinear", []string{"conv", "s", "z"}, "q"),
		node("Relu", []string{"q"}, "r"),
	}, head("r")...)...))
	g.inits = append(g.inits, floatTensor("s", nil, []float32{0.1}), &onnxpb.TensorProto{Name: ptr("z"), DataType: ptr(int32(onnxpb.TensorProto_INT8)), RawData: []byte{0}})
	_, err := Import(g.bytes(t), Options{})
	if want := `node "r_node" (Relu): reads int8 data ("q"); a QuantizeLinear must be followed by a DequantizeLinear`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
