package quantize

import (
	"fmt"

	"github.com/edgecnn/edgecnn/model"
)

// maxFloat16 is the largest finite float16.
const maxFloat16 = 65504

// Float16 returns m with every float32 tensor stored as float16 (rounded to
// nearest even); the graph is unchanged and is computed in float32. NaN, Inf
// and values beyond float16's range are errors.
func Float16(m *model.Model) (*model.Model, error) {
	if err := checkFloatModel(m); err != nil {
		return nil, err
	}
	h := *m
	h.DType, h.Tensors, h.Parity, h.Probes = model.Float16, nil, nil, nil
	h.Provenance.Source = m.Name + " (float32)"
	for _, t := range m.Tensors {
		if t.DType != model.Float32 {
			h.AddTensor(t)
			continue
		}
		v, _, err := floats(m, t.Name)
		if err != nil {
			return nil, err
		}
		for i, x := range v {
			if x > maxFloat16 || x < -maxFloat16 {
				return nil, fmt.Errorf("tensor %q: value %v at index %d is beyond float16's range", t.Name, x, i)
			}
		}
		h.AddTensor(model.NewFloat16(t.Name, t.Shape, v))
	}
	return &h, nil
}
