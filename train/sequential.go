package train

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// Sequential is a float32 Keras-style network on NHWC batches: a
// Sequential stack of layers or, when layers name their inputs, a graph with
// branches and Add (Keras' Functional models). Layers are kept in
// topological order. It owns its activation and gradient buffers, sized for
// the largest batch seen, and a pool of worker goroutines, so training steps
// and PredictTo allocate nothing. A Sequential is not safe for concurrent
// use; it parallelises each batch itself (see SetThreads). Close stops its
// workers.
type Sequential struct {
	// Name is the model's name (the preset or spec name).
	Name   string
	input  shape
	layers []layer
	inputs [][]int // per layer: the layers whose outputs it takes (model.ModelInput: the input)
	uses   []int   // per layer: how many layer inputs its output feeds
	eng    engine

	maxBatch int
	acts     [][]float32 // output of each layer
	grads    [][]float32 // dL/d(output) of each layer
	scratch  []float32   // an input gradient to add to one another consumer wrote
	written  []bool      // backward pass: a consumer wrote grads[i] (last: dx)
	steps    *rand.PCG   // draws the per-step seeds of Dropout
}

// node is a layer of a graph being built: its name ("" for Keras'
// automatic name) and the names of its inputs (none: the layer before it;
// model.InputName: the model input).
type node struct {
	l      layer
	name   string
	inputs []string
}

// newSequential builds a Sequential stack of layers (see newGraph).
func newSequential(name string, h, w, c int, layers []layer) (*Sequential, error) {
	nodes := make([]node, len(layers))
	for i, l := range layers {
		nodes[i] = node{l: l}
	}
	return newGraph(name, h, w, c, nodes)
}

// newGraph builds the layers for an h x w x c input, names the unnamed
// ones the way Keras does (conv2d, conv2d_1, ...), connects them and
// initialises their weights from seed 0 (see Init).
func newGraph(name string, h, w, c int, nodes []node) (*Sequential, error) {
	if h <= 0 || w <= 0 || c <= 0 {
		return nil, fmt.Errorf("input shape %dx%dx%d is not positive", h, w, c)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("model %q has no layers", name)
	}
	n := &Sequential{Name: name, input: shape{H: h, W: w, C: c}}
	count := map[string]int{}
	taken := map[string]bool{}
	for _, nd := range nodes {
		taken[nd.name] = true
	}
	g := &model.Model{Name: name}
	for _, nd := range nodes {
		li := nd.l.info()
		li.name = nd.name
		for base := kerasName(li.kind); li.name == "" || (li.name != nd.name && taken[li.name]); count[base]++ {
			li.name = base
			if k := count[base]; k > 0 {
				li.name = fmt.Sprintf("%s_%d", base, k)
			}
		}
		n.layers = append(n.layers, nd.l)
		g.Layers = append(g.Layers, model.Layer{Name: li.name, Type: li.kind, Inputs: nd.inputs})
	}
	var err error
	if n.inputs, err = g.Graph(); err != nil {
		return nil, err
	}
	n.uses = make([]int, len(n.layers))
	for i, in := range n.inputs {
		if _, ok := n.layers[i].(*addLayer); ok != (len(in) > 1) {
			return nil, &buildError{i, fmt.Errorf("layer %d (%s): %s takes %s, has %d inputs", i+1, n.layers[i].info().name, n.layers[i].info().kind, inputCount(ok), len(in))}
		}
		for _, j := range in {
			if j != model.ModelInput {
				n.uses[j]++
			}
		}
	}
	for i, u := range n.uses[:len(n.uses)-1] {
		if u == 0 {
			return nil, &buildError{i, fmt.Errorf("layer %d (%s): its output is not used by any layer (only the last layer is the model's output)", i+1, n.layers[i].info().name)}
		}
	}
	if err := n.Init(0); err != nil {
		return nil, err
	}
	n.SetThreads(0)
	return n, nil
}

func inputCount(add bool) string {
	if add {
		return "at least 2 inputs"
	}
	return "1 input"
}

// inShape is the shape of layer i's (first) input.
func (n *Sequential) inShape(i int) shape {
	if j := n.inputs[i][0]; j != model.ModelInput {
		return n.layers[j].info().out
	}
	return n.input
}

// isSequential reports whether every layer takes the previous layer's
// output only.
func (n *Sequential) isSequential() bool {
	for i, in := range n.inputs {
		if len(in) != 1 || in[0] != i-1 {
			return false
		}
	}
	return true
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
	case model.DepthwiseConv2D:
		return "depthwise_conv2d"
	case model.SeparableConv2D:
		return "separable_conv2d"
	case model.ReLULayer:
		return "re_lu"
	}
	return strings.ToLower(kind)
}

// Init (re)initialises every weight the way Keras does (glorot_uniform
// kernels, zero biases, BatchNormalization gamma 1, beta 0, moving mean 0,
// moving variance 1) from seed, and reseeds the Dropout generator.
func (n *Sequential) Init(seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6b657261735f696e))
	for i, l := range n.layers {
		s, li := n.inShape(i), l.info()
		for _, j := range n.inputs[i][1:] {
			if o := n.layers[j].info().out; o != s {
				return &buildError{i, fmt.Errorf("layer %d (%s, %s): input %s is %v, input %s %v", i+1, li.name, li.kind,
					n.layers[j].info().name, o.dims(), n.inputName(i, 0), s.dims())}
			}
		}
		if err := l.build(s, rng); err != nil {
			return &buildError{i, fmt.Errorf("layer %d (%s, %s) on input %v: %w", i+1, li.name, li.kind, s.dims(), err)}
		}
	}
	n.steps = rand.NewPCG(uint64(seed), 0x64726f706f757473)
	n.fuseReLUGradients()
	if n.eng.threads > 0 {
		n.alloc(n.eng.threads, n.maxBatch)
	}
	return nil
}

// inputName names layer i's k-th input.
func (n *Sequential) inputName(i, k int) string {
	if j := n.inputs[i][k]; j != model.ModelInput {
		return n.layers[j].info().name
	}
	return model.InputName
}

// fuseReLUGradients moves ReLU's gradient from a convolution to the 2x2
// max pool that is the only layer taking its output: the pool masks its
// own output gradient (a quarter of the size) with its output, which is the
// maximum of the ReLU outputs it routes the gradient to, and the
// convolution skips the mask, as every other position of its output
// gradient is zero.
func (n *Sequential) fuseReLUGradients() {
	for _, l := range n.layers {
		if c, ok := l.(*conv2D); ok {
			c.reluInPool = false
		}
	}
	for i, l := range n.layers {
		p, ok := l.(*pool2D)
		if !ok {
			continue
		}
		p.reluInput = false
		j := n.inputs[i][0]
		if j == model.ModelInput {
			continue
		}
		if c, ok := n.layers[j].(*conv2D); ok && c.act == model.ReLU && n.uses[j] == 1 && p.tiles2x2() {
			c.reluInPool, p.reluInput = true, true
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
	n.written = make([]bool, len(n.layers)+1)
	scratch := 0
	if inputUses := n.inputUses(); inputUses > 1 {
		scratch = n.input.size()
	}
	for i, l := range n.layers {
		size := l.info().out.size() * maxBatch
		n.acts[i] = make([]float32, size)
		n.grads[i] = make([]float32, size)
		l.alloc(threads, max(maxBatch, 1))
		if n.uses[i] > 1 {
			scratch = max(scratch, l.info().out.size())
		}
	}
	n.scratch = make([]float32, scratch*maxBatch)
}

// inputUses is the number of layer inputs the model input feeds.
func (n *Sequential) inputUses() int {
	k := 0
	for _, in := range n.inputs {
		for _, j := range in {
			if j == model.ModelInput {
				k++
			}
		}
	}
	return k
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
	return n.run(x, batch, training, collect)
}

// run is forward without drawing new Dropout seeds.
func (n *Sequential) run(x []float32, batch int, training bool, collect func(int, []float32)) []float32 {
	for i, l := range n.layers {
		out := n.acts[i][:batch*l.info().out.size()]
		if a, ok := l.(*addLayer); ok {
			a.rest = a.rest[:0]
			for _, j := range n.inputs[i][1:] {
				a.rest = append(a.rest, n.output(j, x, batch))
			}
		}
		l.forward(&n.eng, n.output(n.inputs[i][0], x, batch), out, batch, training)
		if collect != nil {
			collect(i, out)
		}
	}
	return n.acts[len(n.layers)-1][:batch*n.Outputs()]
}

// output is layer j's output of the current batch, or the input x for
// model.ModelInput.
func (n *Sequential) output(j int, x []float32, batch int) []float32 {
	if j == model.ModelInput {
		return x[:batch*n.input.size()]
	}
	return n.acts[j][:batch*n.layers[j].info().out.size()]
}

// backward propagates the gradient the loss left in the last layer's
// gradient buffer, filling every parameter's grad and, when dx is not nil,
// the gradient with respect to the input x. A layer output that feeds
// several layers gets the sum of their input gradients.
func (n *Sequential) backward(x []float32, batch int, dx []float32) {
	clear(n.written)
	for i := len(n.layers) - 1; i >= 0; i-- {
		l := n.layers[i]
		size := l.info().out.size() * batch
		dout := n.grads[i][:size]
		first := n.inputs[i][0]
		dst, wrote := n.gradBuf(first, dx, batch)
		din := dst
		if wrote {
			din = n.scratch[:len(dst)]
		}
		l.backward(&n.eng, n.output(first, x, batch), n.acts[i][:size], dout, din, batch)
		if wrote {
			vec.Add(dst, din)
		}
		for _, j := range n.inputs[i][1:] { // Add's other inputs
			if dst, wrote := n.gradBuf(j, dx, batch); wrote {
				vec.Add(dst, dout)
			} else if dst != nil {
				copy(dst, dout)
			}
		}
	}
}

// gradBuf returns the gradient buffer of layer j's output (dx for
// model.ModelInput; nil when dx is nil) and whether another consumer of
// that output wrote it already in this backward pass, so the caller must
// add to it; it marks the buffer written.
func (n *Sequential) gradBuf(j int, dx []float32, batch int) (buf []float32, wrote bool) {
	k := j
	if j == model.ModelInput {
		if dx == nil {
			return nil, false
		}
		buf, k = dx[:batch*n.input.size()], len(n.layers)
	} else {
		buf = n.grads[j][:batch*n.layers[j].info().out.size()]
	}
	wrote, n.written[k] = n.written[k], true
	return buf, wrote
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
