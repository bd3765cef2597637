package parity

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// Options tune Compare.
type Options struct {
	// Workers is the number of runtimes classifying images in parallel
	// (each single-threaded: small frames gain more from splitting images
	// than from splitting layers); 0 means 1.
	Workers int
	// LayerImages is the number of images (the first ones of the dataset)
	// whose activations are compared layer by layer; 0 skips the per-layer
	// comparison.
	LayerImages int
}

// Result is the comparison of a quantised model with its float model.
type Result struct {
	Data          string        `json:"data"`
	Images        int           `json:"images"`
	FloatAccuracy float64       `json:"float_accuracy"` // fraction of images classified correctly
	Int8Accuracy  float64       `json:"int8_accuracy"`  // the quantised model's (int8 or float16)
	Agreement     float64       `json:"agreement"`      // fraction of images where both pick the same class
	Disagreements int           `json:"disagreements"`
	MeanAbsDiff   float64       `json:"mean_abs_diff"` // mean |p_float - p_int8| over images and classes
	MaxAbsDiff    float64       `json:"max_abs_diff"`
	Classes       []ClassRecall `json:"classes"`
	Layers        []LayerError  `json:"layers"`
}

// ClassRecall is the recall of one class for both models.
type ClassRecall struct {
	Name        string  `json:"name"`
	Images      int     `json:"images"`
	FloatRecall float64 `json:"float_recall"`
	Int8Recall  float64 `json:"int8_recall"`
}

// Compare classifies every image of ds with the float32 model and with the
// quantised model q and compares the results. ds must hold images at the
// models' input size.
func Compare(float, q *model.Model, ds *dataset.Dataset, opt Options) (*Result, error) {
	if err := checkPair(float, q, ds); err != nil {
		return nil, err
	}
	pf, err := floatProbabilities(float, ds)
	if err != nil {
		return nil, err
	}
	pq, err := runtimeProbabilities(q, ds, max(opt.Workers, 1))
	if err != nil {
		return nil, err
	}
	k := len(float.Labels)
	res := &Result{Data: ds.Dir, Images: ds.Len()}
	counts := ds.ClassCounts()
	hitsF, hitsQ := make([]int, k), make([]int, k)
	var sumDiff float64
	for i := range ds.Len() {
		f, p := pf[i*k:(i+1)*k], pq[i*k:(i+1)*k]
		for c := range p {
			d := math.Abs(float64(p[c] - f[c]))
			sumDiff += d
			res.MaxAbsDiff = math.Max(res.MaxAbsDiff, d)
		}
		cf, cq, label := argmax(f), argmax(p), int(ds.Labels[i])
		if cf == label {
			hitsF[label]++
		}
		if cq == label {
			hitsQ[label]++
		}
		if cf != cq {
			res.Disagreements++
		}
	}
	n := float64(ds.Len())
	var allF, allQ int
	for c, name := range ds.ClassNames {
		allF += hitsF[c]
		allQ += hitsQ[c]
		cr := ClassRecall{Name: name, Images: counts[c]}
		if counts[c] > 0 {
			cr.FloatRecall, cr.Int8Recall = float64(hitsF[c])/float64(counts[c]), float64(hitsQ[c])/float64(counts[c])
		}
		res.Classes = append(res.Classes, cr)
	}
	res.FloatAccuracy, res.Int8Accuracy = float64(allF)/n, float64(allQ)/n
	res.Agreement = 1 - float64(res.Disagreements)/n
	res.MeanAbsDiff = sumDiff / (n * float64(k))
	if opt.LayerImages > 0 {
		if res.Layers, err = LayerErrors(float, q, ds, opt.LayerImages); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Parity returns the figures a model stores about itself.
func (r *Result) Parity() *model.Parity {
	return &model.Parity{Data: r.Data, Images: r.Images, FloatAccuracy: r.FloatAccuracy, Int8Accuracy: r.Int8Accuracy,
		Agreement: r.Agreement, MeanAbsDiff: r.MeanAbsDiff, MaxAbsDiff: r.MaxAbsDiff}
}

// checkPair refuses models and data that cannot be compared.
func checkPair(float, q *model.Model, ds *dataset.Dataset) error {
	if float.DType != model.Float32 {
		return fmt.Errorf("model %q is %s: the reference must be the float32 model", float.Name, float.DType)
	}
	if float.Input != q.Input {
		return fmt.Errorf("models %q and %q prepare their input differently (%+v vs %+v): not a float/quantised pair", float.Name, q.Name, float.Input, q.Input)
	}
	if fmt.Sprint(float.Labels) != fmt.Sprint(q.Labels) {
		return fmt.Errorf("models have different labels (%v vs %v)", float.Labels, q.Labels)
	}
	if ds.Height != float.Input.Height || ds.Width != float.Input.Width {
		return fmt.Errorf("%s: images are %dx%d, the models take %dx%d", ds.Dir, ds.Width, ds.Height, float.Input.Width, float.Input.Height)
	}
	if fmt.Sprint(ds.ClassNames) != fmt.Sprint(float.Labels) {
		return fmt.Errorf("%s: classes %v do not match the model's labels %v", ds.Dir, ds.ClassNames, float.Labels)
	}
	if ds.Len() == 0 {
		return fmt.Errorf("%s: no images", ds.Dir)
	}
	return nil
}

// floatProbabilities runs the float model over ds: len(Labels) probabilities
// per image (a sigmoid head's p becomes [1-p, p]).
func floatProbabilities(m *model.Model, ds *dataset.Dataset) ([]float32, error) {
	net, err := train.FromModel(m)
	if err != nil {
		return nil, err
	}
	const batch = 64
	k := len(m.Labels)
	b := ds.Batches(batch, false, 0, nil, m.Input.Scale, m.Input.Offset)
	x := make([]float32, batch*ds.ImageSize())
	y := make([]int32, batch)
	probs := make([]float32, 0, ds.Len()*k)
	for n := b.Next(x, y); n > 0; n = b.Next(x, y) {
		out := net.Predict(x, n)
		if net.Outputs() == 1 {
			for _, p := range out {
				probs = append(probs, 1-p, p)
			}
			continue
		}
		probs = append(probs, out...)
	}
	return probs, nil
}

// runtimeProbabilities classifies every image of ds with the runtime,
// splitting the images among workers runtimes.
func runtimeProbabilities(q *model.Model, ds *dataset.Dataset, workers int) ([]float32, error) {
	k := len(q.Labels)
	probs := make([]float32, ds.Len()*k)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rt, err := infer.Load(q, infer.Options{})
			if err != nil {
				errs[w] = err
				return
			}
			defer rt.Close()
			for i := w; i < ds.Len(); i += workers {
				r, err := rt.ClassifyRGB(ds.Image(i), ds.Width, ds.Height)
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", ds.Files[i], err)
					return
				}
				copy(probs[i*k:(i+1)*k], r.Probabilities)
			}
		})
	}
	wg.Wait()
	return probs, errors.Join(errs...)
}

// argmax is the first index of the largest value (as the runtime picks).
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
