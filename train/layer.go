package train

import (
	"math"
	"math/rand/v2"
)

// shape is one sample's activation: H x W x C. Vector outputs (after
// Flatten, Dense or global pooling) have H = W = 1 and flat set.
type shape struct {
	H, W, C int
	flat    bool
}

func (s shape) size() int { return s.H * s.W * s.C }

// dims is the Keras output shape without the batch dimension.
func (s shape) dims() []int {
	if s.flat {
		return []int{s.C}
	}
	return []int{s.H, s.W, s.C}
}

// param is one weight tensor with its gradient.
type param struct {
	name      string // Keras weight name: kernel, bias, gamma, beta, moving_mean, moving_variance
	shape     []int
	value     []float32
	grad      []float32   // reduced gradient of the last backward pass (trainable only)
	partial   [][]float32 // per-worker gradient partials, summed in worker order
	trainable bool
}

func newParam(name string, trainable bool, shape ...int) *param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p := &param{name: name, shape: shape, value: make([]float32, n), trainable: trainable}
	if trainable {
		p.grad = make([]float32, n)
	}
	return p
}

// allocPartials gives each worker its own gradient accumulator.
func (p *param) allocPartials(threads int) {
	p.partial = make([][]float32, threads)
	for w := range p.partial {
		p.partial[w] = make([]float32, len(p.value))
	}
}

// reducePartials sums the workers' partial gradients into grad in worker
// order (so the result depends only on the partition, never on timing) and
// clears them for the next pass.
func (p *param) reducePartials() {
	copy(p.grad, p.partial[0])
	clear(p.partial[0])
	for _, part := range p.partial[1:] {
		for i, v := range part {
			p.grad[i] += v
		}
		clear(part)
	}
}

// glorotUniform fills p with Keras' default kernel initialiser:
// U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
func glorotUniform(p *param, fanIn, fanOut int, rng *rand.Rand) {
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range p.value {
		p.value[i] = float32((rng.Float64()*2 - 1) * limit)
	}
}

// layer is one layer of a Sequential network. Batches are NHWC float32 with
// n samples; every method processes whole batches and splits the work over
// the engine's workers by fixed partitions of the samples.
type layer interface {
	// info returns the layer's name, type, shapes and parameters.
	info() *layerInfo
	// build computes the output shape for input shape in and creates and
	// initialises the parameters.
	build(in shape, rng *rand.Rand) error
	// alloc sizes the layer's per-worker buffers for batches up to maxBatch.
	alloc(threads, maxBatch int)
	// forward computes out from in. In training mode layers use batch
	// statistics (BatchNormalization) and drop units (Dropout).
	forward(e *engine, in, out []float32, n int, training bool)
	// backward turns dout (dL/dout, which it may overwrite) into parameter
	// gradients and, when din is not nil, dL/din. in and out are the values
	// of the preceding training-mode forward pass.
	backward(e *engine, in, out, dout, din []float32, n int)
}

// pass holds the arguments of a layer's forward or backward call while
// the engine runs its per-worker parts (the layer is the engine's job).
type pass struct {
	in, out, dout, din []float32
	backward           bool
}

// layerInfo is what every layer has.
type layerInfo struct {
	name    string // Keras-style unique name, e.g. conv2d_1
	kind    string // model layer type, e.g. model.Conv2D
	in, out shape
	params  []*param
}

func (l *layerInfo) info() *layerInfo { return l }

// paramCount returns the trainable and non-trainable parameter counts.
func (l *layerInfo) paramCount() (trainable, fixed int) {
	for _, p := range l.params {
		if p.trainable {
			trainable += len(p.value)
		} else {
			fixed += len(p.value)
		}
	}
	return trainable, fixed
}
