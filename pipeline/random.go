// Package pipeline holds the workstation's multi-step workflows that combine
// training, calibration, quantisation and parity: models with random weights
// for benchmarks and tests, and quantising a model behind a parity gate.
package pipeline

import (
	"fmt"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// RandomModel builds preset arch for a size x size RGB input with random
// weights; for int8 it calibrates on random images and quantises.
func RandomModel(arch string, size, classes int, seed int64, dtype model.DType) (*model.Model, error) {
	if dtype != model.Int8 && dtype != model.Float32 {
		return nil, fmt.Errorf("dtype %q: want int8 or float32", dtype)
	}
	net, err := train.Preset(arch, size, size, 3, classes)
	if err != nil {
		return nil, err
	}
	if err := net.Init(seed); err != nil {
		return nil, err
	}
	labels := make([]string, classes)
	for i := range labels {
		labels[i] = fmt.Sprintf("class%d", i)
	}
	pre := model.Preprocess{Height: size, Width: size, Channels: 3, Interpolation: preprocess.Bilinear, Scale: 1.0 / 255}
	m, err := net.ToModel(labels, pre)
	if err != nil || dtype == model.Float32 {
		return m, err
	}
	const images = 8
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	ds := &dataset.Dataset{Dir: "random images", ClassNames: labels, Height: size, Width: size,
		Pixels: RandomBytes(rng, images*size*size*3)}
	for i := range images {
		ds.Labels = append(ds.Labels, int32(i%classes))
		ds.Files = append(ds.Files, fmt.Sprintf("random-%d", i))
	}
	table, err := calib.Calibrate(net, m, ds, calib.Options{Method: calib.MinMax, Seed: seed, Warn: func(string) {}})
	if err != nil {
		return nil, err
	}
	q, _, err := quantize.Quantize(m, table, quantize.Options{Source: "untrained " + arch})
	return q, err
}

// RandomBytes is n bytes drawn uniformly from rng.
func RandomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}
