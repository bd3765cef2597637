package onnx

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// trainedShape builds one of the trainer's networks as a float model with
// random BatchNormalization statistics (so that they matter).
func trainModel(t *testing.T, name string) *model.Model {
	t.Helper()
	var net *train.Sequential
	var err error
	const h, w = 32, 32
	switch name {
	case "residual-net":
		net, err = train.FromSpecFile("../train/testdata/residual-net.yaml", h, w, 3)
	case "mobilenet-v2":
		net, err = train.PresetAlpha(name, 0.35, h, w, 3, 3)
	default:
		net, err = train.Preset(name, h, w, 3, 2)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	labels := []string{"a", "b", "c"}[:max(2, net.Outputs())]
	m, err := net.ToModel(labels, model.Preprocess{Height: h, Width: w, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 127.5, Offset: -1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tn := range m.Tensors {
		stat := strings.HasSuffix(tn.Name, "/moving_mean") || strings.HasSuffix(tn.Name, "/moving_variance") || strings.HasSuffix(tn.Name, "/beta")
		if !stat {
			continue
		}
		v := make([]float32, tn.Elems())
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.1)
			if strings.HasSuffix(tn.Name, "/moving_variance") {
				v[i] = 0.5 + rng.Float32()
			}
		}
		*tn = *model.NewFloat32(tn.Name, tn.Shape, v)
	}
	return m
}

func exportImport(t *testing.T, m *model.Model) (*model.Model, []byte) {
	t.Helper()
	b, err := Export(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Import(b, Options{Name: m.Name})
	if err != nil {
		t.Fatalf("import of the export: %v", err)
	}
	if m2.Input != m.Input || fmt.Sprint(m2.Labels) != fmt.Sprint(m.Labels) {
		t.Errorf("input %+v labels %v after the round trip, want %+v %v", m2.Input, m2.Labels, m.Input, m.Labels)
	}
	return m2, b
}

func identical(t *testing.T, got, want [][]float32) {
	t.Helper()
	for i := range want {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Fatalf("image %d: %v after the round trip, %v before", i, got[i], want[i])
		}
	}
}

// TestRoundTrip exports the trainer's models (Keras padding, BatchNorm,
// separable and depthwise convolutions, Add, ReLU6, Dropout, Flatten of
// feature maps) and imports them back: the outputs are bit-identical, and
// ONNX Runtime agrees with the export.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"seed-tutorial", "seed-exercise", "residual-net", "mobilenet-v2"} {
		t.Run(name, func(t *testing.T) {
			m := trainModel(t, name)
			m2, b := exportImport(t, m)
			images := realImages(t, 20, 32, 32)
			want := predict(t, m, images)
			identical(t, predict(t, m2, images), want)
			if testing.Short() {
				return
			}
			path := t.TempDir() + "/m.onnx"
			writeFile(t, path, b)
			x := onnxInputs(images, 32, 32, Preprocessing{Scale: m.Input.Scale, Mean: []float32{-m.Input.Offset}}, false)
			checkClose(t, "ONNX Runtime on the export", runORT(t, path, x, "3,32,32", len(images)), want, 1e-4)
		})
	}
}

// TestRoundTripImported imports the ONNX fixtures, exports them and
// imports the export: bit-identical outputs.
func TestRoundTripImported(t *testing.T) {
	for _, name := range []string{"seed-exercise", "mobilenet_v2", "keras"} {
		t.Run(name, func(t *testing.T) {
			m := importFile(t, fixture(t, name), Options{})
			m2, _ := exportImport(t, m)
			images := realImages(t, 20, m.Input.Width, m.Input.Height)
			identical(t, predict(t, m2, images), predict(t, m, images))
		})
	}
}
