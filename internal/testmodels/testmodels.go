// Package testmodels fills the small hand-built float models of the calib,
// quantize and parity tests with random weights, drawn in a fixed order
// from the caller's generator so every test model is reproducible.
package testmodels

import (
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
)

// AddUniform adds to m a float32 tensor of the given shape whose values are
// uniform in [lo, hi), drawn from r.
func AddUniform(m *model.Model, r *rand.Rand, name string, lo, hi float64, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	m.AddTensor(model.NewFloat32(name, shape, v))
}

// AddBatchNorm adds the tensors of a BatchNormalization layer over c
// channels, named prefix/gamma, prefix/beta, prefix/moving_mean and
// prefix/moving_variance: gamma in [0.5, 1.5), beta in [-0.2, 0.2), mean
// in [-0.3, 0.3) and variance in [0.05, 2), so the layer visibly rescales
// and shifts every channel.
func AddBatchNorm(m *model.Model, r *rand.Rand, prefix string, c int) {
	AddUniform(m, r, prefix+"/gamma", 0.5, 1.5, c)
	AddUniform(m, r, prefix+"/beta", -0.2, 0.2, c)
	AddUniform(m, r, prefix+"/moving_mean", -0.3, 0.3, c)
	AddUniform(m, r, prefix+"/moving_variance", 0.05, 2, c)
}

// New returns a float32 model named name, without tensors yet, that takes
// h x w RGB images (resized bilinearly, scaled by 1/255), runs layers and
// tells Car from Truck.
func New(name string, h, w int, layers []model.Layer) *model.Model {
	return &model.Model{
		Name:   name,
		DType:  model.Float32,
		Input:  model.Preprocess{Height: h, Width: w, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255},
		Labels: []string{"Car", "Truck"},
		Layers: layers,
	}
}
