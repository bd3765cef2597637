package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

func TestExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	net, err := train.Preset("seed-tutorial", 32, 32, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	m, err := net.ToModel([]string{"Car", "Truck"}, model.Preprocess{Height: 32, Width: 32, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255})
	if err != nil {
		t.Fatal(err)
	}
	src, onnxPath := filepath.Join(dir, "m.ecnn"), filepath.Join(dir, "m.onnx")
	if err := model.Save(src, m); err != nil {
		t.Fatal(err)
	}
	out, _, err := clitest.Run(t, newExportCmd(), "--model", src, "-o", onnxPath)
	if err != nil || !strings.Contains(out, "9 layers -> "+onnxPath) {
		t.Fatalf("export: %v\n%s", err, out)
	}

	// Without flags: the labels and scaling the export stored.
	back := filepath.Join(dir, "back.ecnn")
	if _, _, err := clitest.Run(t, newImportCmd(), onnxPath, "-o", back); err != nil {
		t.Fatal(err)
	}
	b, err := model.Load(back)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Labels, m.Labels) || b.Input != m.Input || len(b.Layers) != len(m.Layers) || b.Name != "m" {
		t.Errorf("round trip: %q labels %v input %+v, %d layers; want %v %+v %d", b.Name, b.Labels, b.Input, len(b.Layers), m.Labels, m.Input, len(m.Layers))
	}

	// torchvision normalisation: per channel, so a leading 1x1 conv.
	tv := filepath.Join(dir, "tv.ecnn")
	out, _, err = clitest.Run(t, newImportCmd(), onnxPath, "-o", tv, "--labels", "a,b", "--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225", "--bgr", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `{"name":"preprocess","type":"Conv2D"`) {
		t.Errorf("--json report lacks the preprocess layer:\n%s", out)
	}
	p, err := model.Load(tv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := p.Tensor("preprocess/kernel")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := k.Float32s()
	// Output channel 0 (the model's blue) reads the camera's channel 2 / 0.229.
	if p.Layers[0].Name != "preprocess" || w[2*3+0] != 1/float32(0.229) || w[0] != 0 || !slices.Equal(p.Labels, []string{"a", "b"}) {
		t.Errorf("preprocess layer %+v kernel %v labels %v", p.Layers[0], w, p.Labels)
	}

	// Uniform values stay in the input scaling.
	kt := filepath.Join(dir, "keras.ecnn")
	if _, _, err := clitest.Run(t, newImportCmd(), onnxPath, "-o", kt, "--scale", "0.0078431375", "--mean", "1"); err != nil {
		t.Fatal(err)
	}
	if k, err := model.Load(kt); err != nil || k.Input.Offset != -1 || k.Input.Scale != 0.0078431375 || k.Layers[0].Name == "preprocess" {
		t.Errorf("keras scaling: %v %+v", err, k.Input)
	}

	// Errors: the same file, bad numbers, not ONNX.
	if _, _, err := clitest.Run(t, newImportCmd(), onnxPath, "-o", onnxPath); err == nil || !strings.Contains(err.Error(), "is the input file") {
		t.Errorf("import onto itself: %v", err)
	}
	if _, _, err := clitest.Run(t, newExportCmd(), "--model", src, "-o", src); err == nil || !strings.Contains(err.Error(), "is the input file") {
		t.Errorf("export onto itself: %v", err)
	}
	if _, _, err := clitest.Run(t, newImportCmd(), onnxPath, "-o", tv, "--mean", "0.4,x"); err == nil || !strings.Contains(err.Error(), `--mean "0.4,x": "x" is not a number`) {
		t.Errorf("bad --mean: %v", err)
	}
	if _, _, err := clitest.Run(t, newImportCmd(), onnxPath, "-o", tv, "--std", "1,2"); err == nil || !strings.Contains(err.Error(), "2 std values for 3 channels") {
		t.Errorf("bad --std: %v", err)
	}
	junk := filepath.Join(dir, "junk.onnx")
	os.WriteFile(junk, []byte("\xff\xffjunk"), 0o644)
	if _, _, err := clitest.Run(t, newImportCmd(), junk, "-o", filepath.Join(dir, "j.ecnn")); err == nil || !strings.Contains(err.Error(), junk+": not an ONNX model") {
		t.Errorf("junk: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "j.ecnn")); !os.IsNotExist(err) {
		t.Errorf("a failed import wrote its output: %v", err)
	}
}
