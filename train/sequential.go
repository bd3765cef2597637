package train

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"

	"github.com/edgecnn/edgecnn/model"
)

// Sequential is a float32 Keras-style Sequential network on NHWC batches.
// It owns its activation and gradient buffers, sized for the largest batch
// seen, and a pool of worker goroutines, so training steps and PredictTo
// allocate nothing. A Sequential is not safe for concurrent use; it
// parallelises each batch itself (see SetThreads). Close stops its workers.
type Sequential struct {
	// Name is the model's name (the preset or spec name).
	Name   string
	input  shape
	layers []layer
	eng    engine

	maxBatch int
	acts     [][]float32 // output of each layer
	grads    [][]float32 // dL/d(output) of each layer
	steps    *rand.PCG   // draws the per-step seeds of Dropout
}

// newSequential builds the layers for an h x w x c input, names them the
// way Keras does (conv2d, conv2d_1, ...) and initialises their weights from
// seed 0 (see Init).
func newSequential(name string, h, w, c int, layers []layer) (*Sequential, error) {
	if h <= 0 || w <= 0 || c <= 0 {
		return nil, fmt.Errorf("input shape %dx%dx%d is not positive", h, w, c)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("model %q has no layers", name)
	}
	n := &Sequential{Name: name, input: shape{H: h, W: w, C: c}, layers: layers}
	count := map[string]int{}
	for _, l := range layers {
		li := l.info()
		base := kerasName(li.kind)
		if k := count[base]; k > 0 {
			li.name = fmt.Sprintf("%s_%d", base, k)
		} else {
			li.name = base
		}
		count[base]++
	}
	if err := n.Init(0); err != nil {
		return nil, err
	}
	n.SetThreads(0)
	return n, nil
}

// kerasName is the snake_case base name Keras gives a layer class.
func kerasName(kind string) string {
	switch kind {
	case model.MaxPool2D:
		return "max_pooling2d"
	case model.AveragePooling2D:
		return "average_pooling2d"
	case model.GlobalAveragePooling2D:
		return "global_average_pooling2d"
	case model.BatchNormalization:
		return "batch_normalization"
	}
	return strings.ToLower(kind)
}

// Init (re)initialises every weight the way Keras does (glorot_uniform
// kernels, zero biases, BatchNormalization gamma 1, beta 0, moving mean 0,
// moving variance 1) from seed, and reseeds the Dropout generator.
func (n *Sequential) Init(seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b657261735f696e))
	s := n.input
	for i, l := range n.layers {
		if err := l.build(s, rng); err != nil {
			li := l.info()
			return &buildError{i, fmt.Errorf("layer %d (%s, %s) on input %v: %w", i+1, li.name, li.kind, s.dims(), err)}
		}
		s = l.info().out
	}
	n.steps = rand.NewPCG(uint64(seed), 0x64726f706f757473)
	n.fuseReLUGradients()
	if n.eng.threads > 0 {
		n.alloc(n.eng.threads, n.maxBatch)
	}
	return nil
}

// fuseReLUGradients moves ReLU's gradient from a convolution to the 2x2
// max pool that follows it: the pool masks its own output gradient (a
// quarter of the size) with its output, which is the maximum of the ReLU
// outputs it routes the gradient to, and the convolution skips the mask,
// as every other position of its output gradient is zero.
func (n *Sequential) fuseReLUGradients() {
	for i, l := range n.layers {
		c, ok := l.(*conv2D)
		if !ok {
			continue
		}
		var p *pool2D
		if i+1 < len(n.layers) {
			p, _ = n.layers[i+1].(*pool2D)
		}
		c.reluInPool = c.act == model.ReLU && p != nil && p.tiles2x2()
		if p != nil {
			p.reluInput = c.reluInPool
		}
	}
}

// SetThreads sets the number of workers per batch; 0 means GOMAXPROCS.
// Results depend on the thread count (it fixes the order of reductions) but
// never on timing.
func (n *Sequential) SetThreads(threads int) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads != n.eng.threads {
		n.alloc(threads, n.maxBatch)
	}
}

// Threads returns the number of workers per batch.
func (n *Sequential) Threads() int { return n.eng.threads }

// Close stops the network's worker goroutines. The network stays usable:
// the next multi-threaded pass starts them again. Networks that are simply
// dropped have their workers stopped by the garbage collector.
func (n *Sequential) Close() { n.eng.close() }

// alloc sizes every buffer for batches up to maxBatch on threads workers.
func (n *Sequential) alloc(threads, maxBatch int) {
	n.eng.setThreads(threads)
	n.maxBatch = maxBatch
	n.acts = make([][]float32, len(n.layers))
	n.grads = make([][]float32, len(n.layers))
	for i, l := range n.layers {
		size := l.info().out.size() * maxBatch
		n.acts[i] = make([]float32, size)
		n.grads[i] = make([]float32, size)
		l.alloc(threads, max(maxBatch, 1))
	}
}

// ensure grows the buffers for a batch of the given size.
func (n *Sequential) ensure(batch int) {
	if batch > n.maxBatch {
		n.alloc(n.eng.threads, batch)
	}
}

// InputShape returns the input [H, W, C].
func (n *Sequential) InputShape() []int { return n.input.dims() }

// InputSize is the number of floats of one input sample.
func (n *Sequential) InputSize() int { return n.input.size() }

// Outputs is the number of values the network outputs per sample.
func (n *Sequential) Outputs() int { return n.layers[len(n.layers)-1].info().out.size() }

// NumLayers returns the number of layers (ForwardCollect's layer indices
// run from 0 to NumLayers()-1, in model.Model.Layers order).
func (n *Sequential) NumLayers() int { return len(n.layers) }

func (n *Sequential) checkInput(x []float32, batch int) {
	if batch < 0 || len(x) < batch*n.input.size() {
		panic(fmt.Sprintf("train: %d inputs for a batch of %d samples of %v", len(x), batch, n.input.dims()))
	}
}

// forward runs the network and returns the last layer's output.
func (n *Sequential) forward(x []float32, batch int, training bool, collect func(int, []float32)) []float32 {
	n.ensure(batch)
	if training {
		for _, l := range n.layers {
			if d, ok := l.(*dropout); ok {
				d.seed = n.steps.Uint64()
			}
		}
	}
	in := x[:batch*n.input.size()]
	for i, l := range n.layers {
		out := n.acts[i][:batch*l.info().out.size()]
		l.forward(&n.eng, in, out, batch, training)
		if collect != nil {
			collect(i, out)
		}
		in = out
	}
	return in
}

// backward propagates the gradient the loss left in the last layer's
// gradient buffer, filling every parameter's grad and, when dx is not nil,
// the gradient with respect to the input x.
func (n *Sequential) backward(x []float32, batch int, dx []float32) {
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := n.layers[i]
		in, din := x, dx
		if i > 0 {
			in = n.acts[i-1][:batch*n.layers[i-1].info().out.size()]
			din = n.grads[i-1]
		}
		size := l.info().out.size() * batch
		l.backward(&n.eng, in, n.acts[i][:size], n.grads[i][:size], din, batch)
	}
}

// trainStep runs one training step on a batch (forward, loss, backward,
// optimiser update) and returns the summed loss and the number of correct
// predictions.
func (n *Sequential) trainStep(opt *optimizer, loss string, x []float32, y []int32) (sum float64, correct int) {
	p := n.forward(x, len(y), true, nil)
	sum, correct = lossAndGrad(loss, p, n.Outputs(), y, n.grads[len(n.layers)-1])
	n.backward(x, len(y), nil)
	opt.step(&n.eng)
	return sum, correct
}

// Predict runs inference (training=false) on a batch of NHWC float32 inputs
// and returns a new slice of batch x Outputs() values: the sigmoid
// probability for 1-unit heads, softmax probabilities otherwise.
func (n *Sequential) Predict(x []float32, batch int) []float32 {
	return n.PredictTo(nil, x, batch)
}

// PredictTo is Predict writing into dst: it returns dst[:batch*Outputs()],
// reallocating only when dst is too short.
func (n *Sequential) PredictTo(dst, x []float32, batch int) []float32 {
	n.checkInput(x, batch)
	return append(dst[:0], n.forward(x, batch, false, nil)...)
}

// ForwardCollect runs inference and calls fn with every layer's output
// (layer index, NHWC batch data, after the layer's activation). The slice is
// only valid during fn.
func (n *Sequential) ForwardCollect(x []float32, batch int, fn func(layer int, out []float32)) {
	n.checkInput(x, batch)
	n.forward(x, batch, false, fn)
}

// params returns every parameter in layer order.
func (n *Sequential) params() []*param {
	var ps []*param
	for _, l := range n.layers {
		ps = append(ps, l.info().params...)
	}
	return ps
}
