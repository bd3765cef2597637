package calib

import (
	"fmt"
	"math"
	"os"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// MinSamples is the number of calibration images below which Calibrate
// warns that the ranges may not be representative.
const MinSamples = 100

// Options tune Calibrate.
type Options struct {
	Method     string  // one of Methods
	Percentile float64 // for Percentile; 0 means DefaultPercentile
	// Samples is the number of images drawn from the dataset, class
	// balanced and seeded by Seed (dataset.Subsample); 0 uses them all.
	Samples int
	Seed    int64
	// BatchSize is the number of images per forward pass; 0 means 32.
	BatchSize int
	// Warn receives warnings (too few images, a class missing); nil writes
	// them to os.Stderr.
	Warn func(msg string)
}

// Calibrate runs the float network net (built from m, e.g. by
// train.FromModel) over calibration images of ds and returns the table of
// every activation's range: the input and each layer's output (a sigmoid or
// softmax head's logits). ds must hold images at the model's input size.
// The same model, images, options and seed give the same table.
func Calibrate(net *train.Sequential, m *model.Model, ds *dataset.Dataset, opt Options) (*Table, error) {
	if opt.Percentile == 0 {
		opt.Percentile = DefaultPercentile
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 32
	}
	if opt.Warn == nil {
		opt.Warn = func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) }
	}
	if err := checkMethod(opt); err != nil {
		return nil, err
	}
	if err := m.RequireSequential("calibration"); err != nil {
		return nil, err
	}
	if net.NumLayers() != len(m.Layers) {
		return nil, fmt.Errorf("the network has %d layers, model %q has %d", net.NumLayers(), m.Name, len(m.Layers))
	}
	if ds.Height != m.Input.Height || ds.Width != m.Input.Width {
		return nil, fmt.Errorf("%s: images are %dx%d, model %q takes %dx%d", ds.Dir, ds.Width, ds.Height, m.Name, m.Input.Width, m.Input.Height)
	}
	for _, l := range m.Layers {
		if l.Name == InputName {
			return nil, fmt.Errorf("model %q has a layer named %q, which the table reserves for the input", m.Name, InputName)
		}
	}
	if opt.Samples > 0 && opt.Samples < ds.Len() {
		ds = ds.Subsample(opt.Samples, opt.Seed)
	}
	warnSample(ds, opt)
	if ds.Len() == 0 {
		return nil, fmt.Errorf("%s: no calibration images", ds.Dir)
	}

	c, err := newCollector(m)
	if err != nil {
		return nil, err
	}
	if err := c.run(net, m, ds, opt.BatchSize); err != nil {
		return nil, err
	}
	if opt.Method != MinMax {
		c.startHistograms()
		if err := c.run(net, m, ds, opt.BatchSize); err != nil {
			return nil, err
		}
	}
	t := &Table{Model: m.Name, ModelHash: ModelHash(m), Method: opt.Method, Samples: ds.Len(), Seed: opt.Seed}
	if opt.Method == Percentile {
		t.Percentile = opt.Percentile
	}
	p := m.Input
	lo, hi := float64(p.Offset), 255*float64(p.Scale)+float64(p.Offset)
	t.Entries = append(t.Entries, NewEntry(InputName, math.Min(lo, hi), math.Max(lo, hi)))
	for i, l := range m.Layers {
		method := opt.Method
		if i == c.head {
			method = MinMax
		}
		s := &c.stats[i]
		lo, hi := s.min, s.max
		if method != MinMax {
			if lo, hi, err = s.hist.Range(method, opt.Percentile); err != nil {
				return nil, fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
			}
		}
		t.Entries = append(t.Entries, NewEntry(l.Name, lo, hi))
	}
	return t, nil
}

func checkMethod(opt Options) error {
	for _, m := range Methods {
		if opt.Method == m {
			if m == Percentile && !(opt.Percentile > 50 && opt.Percentile <= 100) {
				return fmt.Errorf("percentile %v is outside (50, 100]", opt.Percentile)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown calibration method %q (want %s)", opt.Method, methodList)
}

// warnSample warns about a calibration sample that is small or misses a
// class: its ranges may not cover what the model meets in use.
func warnSample(ds *dataset.Dataset, opt Options) {
	if opt.Samples > ds.Len() {
		opt.Warn(fmt.Sprintf("%s holds %d images, fewer than the %d calibration samples asked for", ds.Dir, ds.Len(), opt.Samples))
	}
	if ds.Len() < MinSamples {
		opt.Warn(fmt.Sprintf("calibrating on %d images; at least %d are needed for reliable ranges", ds.Len(), MinSamples))
	}
	for i, n := range ds.ClassCounts() {
		if n == 0 {
			opt.Warn(fmt.Sprintf("class %q has no calibration images: its activations are not measured", ds.ClassNames[i]))
		}
	}
}
