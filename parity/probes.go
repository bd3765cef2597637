package parity

import (
	"fmt"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
)

// ProbeTolerance is the per-probability tolerance of stored probes. The
// runtime's int8 arithmetic is bit-exact everywhere; only the final float
// dequantisation and sigmoid/softmax (and a float16 model's float32 math)
// may round differently across CPUs, by far less than this, while a wrong
// kernel moves probabilities by far more.
const ProbeTolerance = 1e-3

// AddProbes stores up to n images of ds in m (one class after another, the
// first image of each class first) with the probabilities the runtime gives
// for them, so infer.Runtime.SelfCheck can verify the model on a device.
func AddProbes(m *model.Model, ds *dataset.Dataset, n int) error {
	if ds.Height != m.Input.Height || ds.Width != m.Input.Width {
		return fmt.Errorf("%s: images are %dx%d, model %q takes %dx%d", ds.Dir, ds.Width, ds.Height, m.Name, m.Input.Width, m.Input.Height)
	}
	rt, err := infer.Load(m, infer.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	for _, i := range roundRobin(ds, n) {
		img := ds.Image(i)
		r, err := rt.ClassifyRGB(img, ds.Width, ds.Height)
		if err != nil {
			return fmt.Errorf("%s: %w", ds.Files[i], err)
		}
		name := fmt.Sprintf("probe/%d", len(m.Probes))
		m.AddTensor(&model.Tensor{Name: name, DType: model.Int8, Shape: []int{ds.Height, ds.Width, 3}, Data: append([]byte(nil), img...)})
		m.Probes = append(m.Probes, model.Probe{Input: name, Probabilities: append([]float32(nil), r.Probabilities...), Tolerance: ProbeTolerance})
	}
	return nil
}

// roundRobin picks up to n image indices, taking the classes in turn.
func roundRobin(ds *dataset.Dataset, n int) []int {
	byClass := make([][]int, len(ds.ClassNames))
	for i, l := range ds.Labels {
		byClass[l] = append(byClass[l], i)
	}
	var picked []int
	for round := 0; len(picked) < min(n, ds.Len()); round++ {
		for _, idx := range byClass {
			if round < len(idx) && len(picked) < n {
				picked = append(picked, idx[round])
			}
		}
	}
	return picked
}
