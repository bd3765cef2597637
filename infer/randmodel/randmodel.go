// Package randmodel builds models with random weights from a list of Keras
// layers, as benchncnn does: the runtime can be tested and measured without
// a trained model. Int8 models follow model.LayerQuant exactly (per-channel
// weight scales, folded biases, fixed-point multipliers); their output
// scales are chosen from an estimate of each activation's size so values
// spread over the int8 range without saturating much.
package randmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/model"
)

// Options control the random model.
type Options struct {
	Seed int64
	// Layout of int8 weights: kernel.Layout (the default, used in place by
	// the runtime) or "oc-k" (canonical rows, repacked at load).
	Layout string
	// Labels default to class0, class1, ... (two for a one-unit head).
	Labels []string
	// DType of a float model: model.Float32 (default) or model.Float16.
	DType model.DType
}

// Input is the canonical input quantisation for pixels scaled by 1/255.
var Input = model.QuantParams{Scale: 1.0 / 255, ZeroPoint: -128}

// builder carries the state of one model being built.
type builder struct {
	m    *model.Model
	rng  *rand.Rand
	opt  Options
	in   []int // current activation shape
	q    model.QuantParams
	rms  float64 // estimated root mean square of the current activation
	last int     // index of the last layer that computes
}

func newBuilder(name string, h, w int, layers []model.Layer, opt Options, dtype model.DType) (*builder, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("randmodel: no layers")
	}
	m := &model.Model{
		Name: name, DType: dtype,
		Input:      model.Preprocess{Height: h, Width: w, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255},
		Provenance: model.Provenance{Tool: "randmodel", Seed: opt.Seed},
	}
	b := &builder{m: m, rng: rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed)), opt: opt, in: m.InputShape(), q: Input, rms: math.Sqrt(1.0 / 3)}
	for i, l := range layers {
		if l.Type == model.Conv2D || l.Type == model.Dense {
			b.last = i
		}
	}
	return b, nil
}

// finish sets the labels from the head's width and validates the model.
func (b *builder) finish() (*model.Model, error) {
	n := b.in[len(b.in)-1]
	labels := b.opt.Labels
	if labels == nil {
		for i := range max(n, 2) {
			labels = append(labels, fmt.Sprintf("class%d", i))
		}
	}
	b.m.Labels = labels
	if err := b.m.Validate(); err != nil {
		return nil, fmt.Errorf("randmodel: %w", err)
	}
	return b.m, nil
}

// add appends layer l (with its name and output shape filled in) and
// returns a pointer to it.
func (b *builder) add(i int, l model.Layer) (*model.Layer, error) {
	out, err := geom.OutputShape(&l, b.in)
	if err != nil {
		return nil, fmt.Errorf("randmodel: layer %d (%s): %w", i, l.Type, err)
	}
	if l.Name == "" {
		l.Name = fmt.Sprintf("%s_%d", strings.ToLower(l.Type), i)
	}
	l.OutputShape = out
	l.Weights, l.Quant = nil, nil
	b.m.Layers = append(b.m.Layers, l)
	return &b.m.Layers[len(b.m.Layers)-1], nil
}

// uniform returns a value in [-a, a).
func (b *builder) uniform(a float64) float64 { return a * (2*b.rng.Float64() - 1) }

// fanIn is the number of inputs of one output of a Conv2D or Dense.
func fanIn(l *model.Layer, in []int) int {
	if l.Type == model.Dense {
		return geom.Elems(in)
	}
	w := geom.WindowOf(l)
	return w.KH * w.KW * in[len(in)-1]
}
