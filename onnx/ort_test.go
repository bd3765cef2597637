package onnx

import (
	"fmt"
	"math"
	"testing"
)

// TestAgainstONNXRuntime imports each fixture and checks that the float
// graph gives ONNX Runtime's outputs on 100 real images within 1e-4,
// relative to the largest output.
func TestAgainstONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch, ONNX Runtime and 100 images per model")
	}
	torchvision := Preprocessing{Scale: 1.0 / 255, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	cases := []struct {
		name string
		pre  Preprocessing
		nhwc bool
	}{
		{"seed-tutorial", Preprocessing{Scale: 1.0 / 255}, false},
		{"seed-exercise", Preprocessing{Scale: 1.0 / 255}, false},
		{"mobilenet_v2", Preprocessing{Scale: 1.0 / 127.5, Mean: []float32{1}}, false},
		{"resnet18", torchvision, false},
		{"keras", Preprocessing{Scale: 1, BGR: true, Mean: []float32{103.939, 116.779, 123.68}, Std: []float32{58, 57, 57}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := fixture(t, c.name)
			m := importFile(t, path, Options{Preprocessing: &c.pre})
			h, w := m.Input.Height, m.Input.Width
			images := realImages(t, 100, w, h)
			ours := predict(t, m, images)
			if m.IsSequential() {
				// The int8/float runtime runs Sequential graphs: it must agree too.
				checkClose(t, "infer", inferOutputs(t, m, images), ours, 1e-5)
			}
			dims := fmt.Sprintf("3,%d,%d", h, w)
			if c.nhwc {
				dims = fmt.Sprintf("%d,%d,3", h, w)
			}
			ref := runORT(t, path, onnxInputs(images, h, w, c.pre, c.nhwc), dims, len(images))
			worstRel, worstAbs, agree := 0.0, 0.0, 0
			for i := range ref {
				if len(ours[i]) != len(ref[i]) {
					t.Fatalf("image %d: %d outputs, ONNX Runtime %d", i, len(ours[i]), len(ref[i]))
				}
				scale := 0.0
				for _, v := range ref[i] {
					scale = max(scale, math.Abs(float64(v)))
				}
				for k := range ref[i] {
					d := math.Abs(float64(ours[i][k] - ref[i][k]))
					worstAbs = max(worstAbs, d)
					worstRel = max(worstRel, d/scale)
				}
				if argmax(ours[i]) == argmax(ref[i]) {
					agree++
				}
			}
			lo, hi := ref[0][0], ref[0][0]
			for i := range ref {
				lo, hi = min(lo, ref[i][0]), max(hi, ref[i][0])
			}
			if hi-lo < 1e-3 {
				t.Errorf("ONNX Runtime's first output spans only [%g, %g] over the images; the comparison says little", lo, hi)
			}
			t.Logf("%s: %d layers, %d images: max |ours-ORT| %.3g, max relative %.3g, same top-1 %d/%d",
				c.name, len(m.Layers), len(images), worstAbs, worstRel, agree, len(images))
			if worstRel > 1e-4 {
				t.Errorf("max relative difference %.3g > 1e-4", worstRel)
			}
		})
	}
}

// checkClose fails when got and want differ by more than tol relative to
// the largest of want's outputs.
func checkClose(t *testing.T, what string, got, want [][]float32, tol float64) {
	t.Helper()
	for i := range want {
		scale := 0.0
		for _, v := range want[i] {
			scale = max(scale, math.Abs(float64(v)))
		}
		for k := range want[i] {
			if d := math.Abs(float64(got[i][k] - want[i][k])); d > tol*scale {
				t.Fatalf("%s: image %d output %d: %g, want %g", what, i, k, got[i][k], want[i][k])
			}
		}
	}
}

func argmax(v []float32) int {
	if len(v) == 1 {
		if v[0] > 0.5 {
			return 1
		}
		return 0
	}
	k := 0
	for i, x := range v {
		if x > v[k] {
			k = i
		}
	}
	return k
}
