package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/train"
)

const python = "/usr/bin/python3"

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  string
)

// fixture returns the path of scripts/onnx-fixtures.py's model name,
// generating all of them once (skipping when Debian's python3-torch,
// python3-torchvision or python3-onnx is missing).
func fixture(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("generating the PyTorch fixtures takes about 20 s")
	}
	fixtureOnce.Do(func() {
		if err := exec.Command(python, "-c", "import torch, torchvision, onnx").Run(); err != nil {
			fixtureErr = "python3-torch, python3-torchvision and python3-onnx are needed for the ONNX fixtures (apt-get install python3-torch python3-torchvision python3-onnx): " + err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "onnx-fixtures")
		if err != nil {
			fixtureErr = err.Error()
			return
		}
		out, err := exec.Command(python, "../scripts/onnx-fixtures.py", dir).CombinedOutput()
		if err != nil {
			fixtureErr = "scripts/onnx-fixtures.py: " + err.Error() + "\n" + string(out)
			return
		}
		fixtureDir = dir
	})
	if fixtureDir == "" {
		if fixtureErr != "" && os.Getenv("CI") != "" {
			t.Fatal(fixtureErr)
		}
		t.Skip(fixtureErr)
	}
	return filepath.Join(fixtureDir, name+".onnx")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func importFile(t *testing.T, path string, opt Options) *model.Model {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Import(data, opt)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// realImages returns up to n images of ../shared/data/car-truck/valid
// resized to w x h as packed RGB.
func realImages(t *testing.T, n, w, h int) [][]byte {
	t.Helper()
	var files []string
	for _, class := range []string{"Car", "Truck"} {
		f, err := imagefile.List(filepath.Join("..", "..", "shared", "data", "car-truck", "valid", class))
		if err != nil {
			t.Skipf("real images: %v (../shared/data is absent)", err)
		}
		files = append(files, f[:min(len(f), n/2)]...)
	}
	var r [][]byte
	for _, f := range files {
		img, err := imagefile.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		rgb := make([]byte, w*h*3)
		preprocess.ResizeImage(rgb, w, h, img, "bilinear", nil, make([]byte, b.Dx()*b.Dy()*3))
		r = append(r, rgb)
	}
	return r
}

// predict runs m's float graph (the trainer's forward pass) on images
// scaled as m.Input says.
func predict(t *testing.T, m *model.Model, images [][]byte) [][]float32 {
	t.Helper()
	net, err := train.FromModel(m)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	net.SetThreads(1)
	var r [][]float32
	for _, img := range images {
		x := make([]float32, len(img))
		for i, p := range img {
			x[i] = float32(p)*m.Input.Scale + m.Input.Offset
		}
		r = append(r, append([]float32(nil), net.Predict(x, 1)...))
	}
	return r
}

// inferOutputs runs m in the runtime (Sequential graphs) and returns the
// last layer's outputs.
func inferOutputs(t *testing.T, m *model.Model, images [][]byte) [][]float32 {
	t.Helper()
	r, err := infer.Load(m, infer.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]float32
	for _, img := range images {
		err := r.LayerOutputs(img, m.Input.Width, m.Input.Height, func(layer int, deq []float32) {
			if layer == len(m.Layers)-1 {
				out = append(out, append([]float32(nil), deq...))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// onnxInputs applies p to images (h x w RGB) and lays them out as the ONNX
// model's input: NCHW, or NHWC when nhwc.
func onnxInputs(images [][]byte, h, w int, p Preprocessing, nhwc bool) []float32 {
	var r []float32
	for _, img := range images {
		x := make([]float32, len(img))
		for y := range h {
			for z := range w {
				for c := range 3 {
					src := c
					if p.BGR {
						src = 2 - c
					}
					v := (float32(img[(y*w+z)*3+src])*p.Scale - at(p.Mean, c, 0)) / at(p.Std, c, 1)
					if nhwc {
						x[(y*w+z)*3+c] = v
					} else {
						x[(c*h+y)*w+z] = v
					}
				}
			}
		}
		r = append(r, x...)
	}
	return r
}

func at(v []float32, c int, def float32) float32 {
	switch len(v) {
	case 0:
		return def
	case 1:
		return v[0]
	}
	return v[c]
}

// ortNodePath is the node_modules folder holding onnxruntime-node:
// $ONNXRUNTIME_NODE_PATH, or ../shared/peers/ort/node_modules.
func ortNodePath(t *testing.T) string {
	t.Helper()
	for _, d := range []string{os.Getenv("ONNXRUNTIME_NODE_PATH"), filepath.Join("..", "..", "shared", "peers", "ort", "node_modules")} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "onnxruntime-node", "package.json")); err == nil {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	t.Skip("ONNX Runtime is not installed: set ONNXRUNTIME_NODE_PATH to a node_modules folder holding onnxruntime-node " +
		"(ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0)")
	return ""
}

// runORT runs the ONNX model in ONNX Runtime on n inputs of shape dims
// (without the batch) and returns the n outputs.
func runORT(t *testing.T, path string, x []float32, dims string, n int) [][]float32 {
	t.Helper()
	nodePath := ortNodePath(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.f32"), filepath.Join(dir, "out.f32")
	if err := os.WriteFile(in, f32Bytes(x), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "../scripts/onnx-ort.js", path, in, dims, out)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnx-ort.js: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]float32, len(b)/4)
	for i := range all {
		all[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	per := len(all) / n
	var r [][]float32
	for i := range n {
		r = append(r, all[i*per:(i+1)*per])
	}
	return r
}

func f32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
