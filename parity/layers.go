package parity

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// A layer's error stands out when its SQNR is StandOutDB below the median
// of the layers and below StandOutMaxDB: an error under 0.1% of the signal's
// power (30 dB) never stands out, however clean the other layers are.
const (
	StandOutDB    = 6
	StandOutMaxDB = 30
)

// LayerError compares one layer's activations in the quantised model with
// the float model's (for a folded layer, the float output it replaces; for
// the head, the probabilities).
type LayerError struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	SQNR      float64 `json:"sqnr_db"` // 10*log10(sum f² / sum (f-q)²)
	Cosine    float64 `json:"cosine"`  // f·q / (|f| |q|)
	StandsOut bool    `json:"stands_out,omitempty"`
}

// LayerErrors runs the first n images of ds (all if fewer) through both
// models and measures each quantised layer's error, pooled over the images.
func LayerErrors(float, q *model.Model, ds *dataset.Dataset, n int) ([]LayerError, error) {
	if err := checkPair(float, q, ds); err != nil {
		return nil, err
	}
	floatOf, err := floatLayers(float, q)
	if err != nil {
		return nil, err
	}
	net, err := train.FromModel(float)
	if err != nil {
		return nil, err
	}
	rt, err := infer.Load(q, infer.Options{})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	acc := make([]errorSums, len(q.Layers))
	outs := make([][]float32, len(float.Layers))
	x := make([]float32, ds.ImageSize())
	for i := range min(n, ds.Len()) {
		img := ds.Image(i)
		for j, p := range img {
			x[j] = float32(p)*float.Input.Scale + float.Input.Offset
		}
		net.ForwardCollect(x, 1, func(layer int, out []float32) {
			outs[layer] = append(outs[layer][:0], out...)
		})
		var bad error
		err := rt.LayerOutputs(img, ds.Width, ds.Height, func(layer int, deq []float32) {
			f := outs[floatOf[layer]]
			if len(f) != len(deq) && bad == nil {
				bad = fmt.Errorf("layer %d (%s): %d values in the quantised model, %d in the float one", layer, q.Layers[layer].Name, len(deq), len(f))
				return
			}
			acc[layer].add(f, deq)
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ds.Files[i], err)
		}
	}
	layers := make([]LayerError, len(q.Layers))
	for i, l := range q.Layers {
		layers[i] = LayerError{Name: l.Name, Type: l.Type, SQNR: acc[i].sqnr(), Cosine: acc[i].cosine()}
	}
	markStandouts(layers)
	return layers, nil
}

// floatLayers maps each layer of q to the float layer whose output it
// reproduces: the same name, moved past a BatchNormalization that
// quantisation folded into it.
func floatLayers(float, q *model.Model) ([]int, error) {
	byName := map[string]int{}
	for i, l := range float.Layers {
		byName[l.Name] = i
	}
	output := map[int]int{}
	if q.DType == model.Int8 {
		steps, err := quantize.Plan(float)
		if err != nil {
			return nil, err
		}
		for _, s := range steps {
			output[s.Layer] = s.Output
		}
	}
	m := make([]int, len(q.Layers))
	for j, l := range q.Layers {
		i, ok := byName[l.Name]
		if !ok {
			return nil, fmt.Errorf("layer %q of model %q is not in float model %q: not a float/quantised pair", l.Name, q.Name, float.Name)
		}
		if o, ok := output[i]; ok {
			i = o
		}
		m[j] = i
	}
	return m, nil
}

// errorSums pools one layer's comparison over images.
type errorSums struct{ ff, ee, fq, qq float64 }

func (s *errorSums) add(f, q []float32) {
	for i, a := range f {
		b := float64(q[i])
		d := float64(a) - b
		s.ff += float64(a) * float64(a)
		s.ee += d * d
		s.fq += float64(a) * b
		s.qq += b * b
	}
}

func (s *errorSums) sqnr() float64 { return quantize.SQNR(s.ff, s.ee) }

func (s *errorSums) cosine() float64 {
	if s.ff == 0 || s.qq == 0 {
		if s.ff == s.qq {
			return 1 // both all zero
		}
		return 0
	}
	return s.fq / math.Sqrt(s.ff*s.qq)
}

// markStandouts flags the layers whose error stands out.
func markStandouts(layers []LayerError) {
	if len(layers) == 0 {
		return
	}
	v := make([]float64, len(layers))
	for i, l := range layers {
		v[i] = l.SQNR
	}
	sort.Float64s(v)
	median := v[len(v)/2]
	for i := range layers {
		layers[i].StandsOut = layers[i].SQNR < median-StandOutDB && layers[i].SQNR < StandOutMaxDB
	}
}

// Worst returns up to n layers with the lowest SQNR, worst first.
func Worst(layers []LayerError, n int) []LayerError {
	w := slices.Clone(layers)
	sort.SliceStable(w, func(a, b int) bool { return w[a].SQNR < w[b].SQNR })
	return w[:min(n, len(w))]
}
