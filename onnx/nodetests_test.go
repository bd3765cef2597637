package onnx

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/onnx/onnxpb"
	"github.com/edgecnn/edgecnn/train"
)

// nodeTestDir holds Debian's libonnx-testdata node tests.
const nodeTestDir = "/usr/share/libonnx-testdata/data/node"

// TestONNXNodeTests runs ONNX's own node tests (libonnx-testdata) for the
// supported operators on 2-D images through import and the float graph:
// the extra inputs (weights, BatchNorm statistics) become constants, each
// sample of the batch runs alone, and the output must match the expected
// one. Tests for what import refuses must fail with an error.
func TestONNXNodeTests(t *testing.T) {
	if _, err := os.Stat(nodeTestDir); err != nil {
		t.Skip("Debian's libonnx-testdata is not installed (apt-get install libonnx-testdata)")
	}
	pass := []string{
		"conv_with_autopad_same", "conv_with_strides_no_padding", "conv_with_strides_padding",
		"maxpool_2d_default", "maxpool_2d_precomputed_pads", "maxpool_2d_precomputed_same_upper",
		"maxpool_2d_precomputed_strides", "maxpool_2d_same_upper", "maxpool_2d_strides", "maxpool_2d_ceil",
		"averagepool_2d_default", "averagepool_2d_precomputed_pads", "averagepool_2d_precomputed_same_upper",
		"averagepool_2d_precomputed_strides", "averagepool_2d_same_upper", "averagepool_2d_strides", "averagepool_2d_ceil",
		"globalaveragepool", "globalaveragepool_precomputed", "batchnorm_epsilon", "batchnorm_example",
	}
	refuse := map[string]string{
		"maxpool_2d_dilations":                              "dilations [2 2] are not supported",
		"averagepool_2d_pads_count_include_pad":             "count_include_pad=1",
		"averagepool_2d_precomputed_pads_count_include_pad": "count_include_pad=1",
		"batchnorm_example_training_mode":                   "ONNX graph has 3 outputs",
		"maxpool_2d_uint8":                                  "a float32 tensor is supported",
		"maxpool_3d_default":                                "an image batch [N, C, H, W] or [N, H, W, C] is supported",
		"convtranspose":                                     "operator ConvTranspose is not supported",
		// Windows Keras' padding cannot express: different paddings per
		// axis, pools that grow the image, padding only before (SAME_LOWER).
		"conv_with_strides_and_asymmetric_padding": "padding top,bottom 1,1 and left,right 0,0 with kernel 3x3, strides 2,2 on 7x5 cannot be expressed with 'same' or 'valid' padding",
		"maxpool_2d_pads":                          "padding top,bottom 2,2 and left,right 2,2 with window 3x3, strides 1,1 on 28x28 cannot be expressed",
		"averagepool_2d_pads":                      "padding top,bottom 2,2 and left,right 2,2 with window 3x3, strides 1,1 on 28x28 cannot be expressed",
		"maxpool_2d_same_lower":                    "padding top,bottom 1,0 and left,right 1,0 with window 2x2, strides 1,1 on 32x32 cannot be expressed",
		"averagepool_2d_same_lower":                "padding top,bottom 1,0 and left,right 1,0 with window 2x2, strides 1,1 on 32x32 cannot be expressed",
	}
	for _, name := range pass {
		t.Run(name, func(t *testing.T) {
			mp, in, want := loadNodeTest(t, name)
			m, err := Import(mp, Options{featureMaps: true})
			if err != nil {
				t.Fatal(err)
			}
			net, err := train.FromModel(m)
			if err != nil {
				t.Fatal(err)
			}
			defer net.Close()
			n, c, h, w := in.dims[0], in.dims[1], in.dims[2], in.dims[3]
			oc, oh, ow := want.dims[1], 1, 1
			if len(want.dims) == 4 {
				oh, ow = want.dims[2], want.dims[3]
			}
			for s := range n {
				got := net.Predict(nchwToHWC(in.floats[s*c*h*w:(s+1)*c*h*w], c, h, w), 1)
				exp := nchwToHWC(want.floats[s*oc*oh*ow:(s+1)*oc*oh*ow], oc, oh, ow)
				for i := range exp {
					if math.Abs(float64(got[i]-exp[i])) > 1e-5*max(1, math.Abs(float64(exp[i]))) {
						t.Fatalf("sample %d, value %d (HWC): %g, want %g", s, i, got[i], exp[i])
					}
				}
			}
		})
	}
	for name, msg := range refuse {
		t.Run(name, func(t *testing.T) {
			mp, _, _ := loadNodeTest(t, name)
			if _, err := Import(mp, Options{featureMaps: true}); err == nil || !strings.Contains(err.Error(), msg) {
				t.Fatalf("error %v, want one containing %q", err, msg)
			}
		})
	}
}

// loadNodeTest reads test name's model with every input but the first
// turned into an initializer (from test_data_set_0) and a symbolic batch,
// and returns it with the first input and the expected output.
func loadNodeTest(t *testing.T, name string) (model []byte, in, out *constant) {
	t.Helper()
	dir := filepath.Join(nodeTestDir, "test_"+name)
	var mp onnxpb.ModelProto
	readProto(t, filepath.Join(dir, "model.onnx"), &mp)
	if strings.HasPrefix(name, "globalaveragepool") {
		// Written with opset 1; GlobalAveragePool has not changed since.
		mp.OpsetImport[0].Version = ptr(int64(MinOpset))
	}
	g := mp.GetGraph()
	for k := 1; k < len(g.GetInput()); k++ {
		var tp onnxpb.TensorProto
		readProto(t, filepath.Join(dir, "test_data_set_0", "input_"+string(rune('0'+k))+".pb"), &tp)
		tp.Name = ptr(g.GetInput()[k].GetName())
		g.Initializer = append(g.Initializer, &tp)
	}
	g.Input = g.Input[:1]
	if d := g.GetInput()[0].GetType().GetTensorType().GetShape().GetDim(); len(d) > 0 {
		d[0].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
	}
	in, out = readTensor(t, filepath.Join(dir, "test_data_set_0", "input_0.pb")), readTensor(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"))
	b, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	return b, in, out
}

func readProto(t *testing.T, path string, m proto.Message) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readTensor(t *testing.T, path string) *constant {
	t.Helper()
	var tp onnxpb.TensorProto
	readProto(t, path, &tp)
	c, err := decodeTensor(&tp)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	return c
}

func nchwToHWC(x []float32, c, h, w int) []float32 {
	r := make([]float32, len(x))
	for ci := range c {
		for y := range h {
			for z := range w {
				r[(y*w+z)*c+ci] = x[(ci*h+y)*w+z]
			}
		}
	}
	return r
}
