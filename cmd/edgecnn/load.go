package main

import (
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// floatKernels names the runtime's float32 code, which float32 and float16
// models run on (the int8 kernel sets only run int8 models).
const floatKernels = "float32-go"

// kernelName names the kernels that run a model of dtype d on this CPU.
func kernelName(d model.DType) string {
	if d == model.Int8 {
		return infer.KernelPath()
	}
	return floatKernels
}

// loadFloatNet reads a float model file and builds the trainer's network
// from it.
func loadFloatNet(path string) (*model.Model, *train.Sequential, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, nil, err
	}
	net, err := train.FromModel(m)
	if err != nil {
		return nil, nil, err
	}
	return m, net, nil
}

// datasetForModel loads the images of dir at m's input size with m's
// interpolation, so they are prepared exactly as the model expects.
func datasetForModel(dir string, m *model.Model) (*dataset.Dataset, error) {
	return dataset.FromDirectory(dir, dataset.Options{Height: m.Input.Height, Width: m.Input.Width, Interpolation: m.Input.Interpolation})
}
