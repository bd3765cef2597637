package infer

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// SelfCheck runs the model's stored probes (see model.Probe) and returns an
// error naming the first probe whose probabilities differ from the stored
// ones by more than its tolerance. A model without probes passes.
func (r *Runtime) SelfCheck() error {
	w, h := r.InputSize()
	for i, p := range r.m.Probes {
		t, err := r.m.Tensor(p.Input)
		if err != nil {
			return fmt.Errorf("probe %d: %w", i, err)
		}
		if t.DType != model.Int8 || len(t.Data) != w*h*3 {
			return fmt.Errorf("probe %d (%s): input is %s%v, want %dx%d RGB bytes", i, p.Input, t.DType, t.Shape, w, h)
		}
		res, err := r.Run(t.Data)
		if err != nil {
			return fmt.Errorf("probe %d (%s): %w", i, p.Input, err)
		}
		if len(p.Probabilities) != len(res.Probabilities) {
			return fmt.Errorf("probe %d (%s): %d stored probabilities for %d labels", i, p.Input, len(p.Probabilities), len(res.Probabilities))
		}
		for j, want := range p.Probabilities {
			got := res.Probabilities[j]
			if d := math.Abs(float64(got - want)); !(d <= float64(p.Tolerance)) {
				return fmt.Errorf("probe %d (%s): probability of %q is %.6f, stored %.6f (difference %.2g, tolerance %.2g)",
					i, p.Input, r.m.Labels[j], got, want, d, p.Tolerance)
			}
		}
	}
	return nil
}
