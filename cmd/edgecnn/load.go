package main

import (
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

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
