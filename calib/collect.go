package calib

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train"
)

// tensorStats accumulates one tensor's extremes and, in the second pass,
// its histogram.
type tensorStats struct {
	min, max float64
	hist     *Histogram
}

func (s *tensorStats) observe(v []float32) {
	if s.hist != nil {
		s.hist.Add(v)
		return
	}
	for _, x := range v {
		s.min = math.Min(s.min, float64(x))
		s.max = math.Max(s.max, float64(x))
	}
}

// collector gathers the statistics of every layer's output. The head (a
// Dense with sigmoid or softmax, or -1) is measured on its logits, computed
// from its input and its float weights.
type collector struct {
	stats []tensorStats
	head  int
	// headInput is the layer whose output the head reads (model.ModelInput
	// for the model input).
	headInput int
	kernel    []float32 // head kernel [in, units]
	bias      []float32
	logits    []float32
}

func newCollector(m *model.Model) (*collector, error) {
	c := &collector{stats: make([]tensorStats, len(m.Layers)), head: -1}
	for i := range c.stats {
		c.stats[i] = tensorStats{min: math.Inf(1), max: math.Inf(-1)}
	}
	last := len(m.Layers) - 1
	l := m.Layers[last]
	if l.Type != model.Dense || (l.Activation != model.Sigmoid && l.Activation != model.Softmax) {
		return c, nil
	}
	c.head = last
	g, err := m.Graph()
	if err != nil {
		return nil, err
	}
	c.headInput = g[last][0]
	for j, dst := range []*[]float32{&c.kernel, &c.bias} {
		if j >= len(l.Weights) {
			*dst = make([]float32, l.Units) // no bias
			continue
		}
		t, err := m.Tensor(l.Weights[j])
		if err != nil {
			return nil, err
		}
		if *dst, err = t.Float32s(); err != nil {
			return nil, err
		}
	}
	if len(c.bias) != l.Units || len(c.kernel)%l.Units != 0 {
		return nil, fmt.Errorf("layer %d (%s): weights do not match %d units", last, l.Name, l.Units)
	}
	return c, nil
}

// startHistograms switches to the second pass: histograms over the
// extremes found by the first.
func (c *collector) startHistograms() {
	for i := range c.stats {
		s := &c.stats[i]
		s.hist = NewHistogram(s.min, s.max)
	}
}

// run passes every image of ds through net once.
func (c *collector) run(net *train.Sequential, m *model.Model, ds *dataset.Dataset, batchSize int) error {
	b := ds.Batches(batchSize, false, 0, nil, m.Input.Scale, m.Input.Offset)
	x := make([]float32, batchSize*ds.ImageSize())
	y := make([]int32, batchSize)
	var bad error
	for n := b.Next(x, y); n > 0; n = b.Next(x, y) {
		if c.head >= 0 && c.headInput == model.ModelInput {
			c.observeLogits(x[:n*ds.ImageSize()], n)
		}
		net.ForwardCollect(x, n, func(layer int, out []float32) {
			if bad == nil {
				bad = finite(out, layer, m)
			}
			if c.head >= 0 && layer == c.headInput {
				c.observeLogits(out, n)
			}
			if layer != c.head {
				c.stats[layer].observe(out)
			}
		})
		if bad != nil {
			return bad
		}
	}
	return nil
}

// observeLogits computes the head's logits from its input in (n rows).
func (c *collector) observeLogits(in []float32, n int) {
	units := len(c.bias)
	k := len(c.kernel) / units
	if cap(c.logits) < n*units {
		c.logits = make([]float32, n*units)
	}
	z := c.logits[:n*units]
	for r := range n {
		row := in[r*k : (r+1)*k]
		for u := range units {
			s := c.bias[u]
			for i, v := range row {
				s += v * c.kernel[i*units+u]
			}
			z[r*units+u] = s
		}
	}
	c.stats[c.head].observe(z)
}

// finite reports a NaN or Inf in a layer's output.
func finite(v []float32, layer int, m *model.Model) error {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("layer %d (%s) outputs %v on a calibration image: the float model is broken", layer, m.Layers[layer].Name, x)
		}
	}
	return nil
}
