package infer

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// MaxThreads bounds Options.Threads.
const MaxThreads = 64

// Options configure a Runtime.
type Options struct {
	// Threads is the size of the worker pool that splits each layer's
	// output rows; 0 means 1. Results do not depend on it.
	Threads int
}

// Result is the outcome of one classification.
type Result struct {
	Class       int     // index of the most probable label
	Label       string  // its name
	Probability float32 // its probability
	// Probabilities has one entry per label. It aliases the runtime's
	// buffer and is valid until the next call.
	Probabilities []float32
}

// Runtime runs one model in fixed memory: everything it needs is allocated
// by Load. It is not safe for concurrent use; give each goroutine its own.
type Runtime struct {
	m        *model.Model
	g        *graph
	arena    *arena
	ops      []op
	opLayer  []int // model layer of each op
	pool     *pool
	threads  int
	scratch  []int8 // im2col rows, one block per worker
	prepared int    // bytes the kernels derived from the weights at load
	in       input
	head     head
	info     []LayerInfo
	closed   bool
}

// errClosed is returned by calls on a closed Runtime.
var errClosed = errors.New("infer: the runtime is closed")

// Load checks m (shapes chain, tensors match the layers, quantisation
// parameters in range) and plans a runtime for it: the arena, the scratch,
// the weights (in place when packed for this build's kernels) and a pool of
// opt.Threads workers.
func Load(m *model.Model, opt Options) (*Runtime, error) {
	if opt.Threads < 0 || opt.Threads > MaxThreads {
		return nil, fmt.Errorf("threads %d is outside [0, %d]", opt.Threads, MaxThreads)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := m.RequireSequential("the runtime"); err != nil {
		return nil, err
	}
	g, err := buildGraph(m)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", m.Name, err)
	}
	a, err := newArena(g)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", m.Name, err)
	}
	r := &Runtime{m: m, g: g, arena: a, threads: max(opt.Threads, 1)}
	if m.DType == model.Int8 {
		err = r.buildInt8()
	} else {
		err = r.buildFloat()
	}
	if err == nil {
		err = r.newInput()
	}
	if err == nil {
		err = r.newHead()
	}
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", m.Name, err)
	}
	r.pool = newPool(r.threads)
	runtime.AddCleanup(r, (*pool).close, r.pool)
	return r, nil
}

// LoadFile reads the model at path and loads it. Errors name the file.
func LoadFile(path string, opt Options) (*Runtime, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	r, err := Load(m, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// buildInt8 makes the int8 operators, propagating each tensor's
// quantisation along the graph.
func (r *Runtime) buildInt8() error {
	m := r.m
	if m.InputQuant == nil {
		return errors.New("int8 model without input quantisation")
	}
	if err := checkQuantParams(*m.InputQuant); err != nil {
		return fmt.Errorf("input quantisation: %w", err)
	}
	quant := make([]model.QuantParams, len(r.g.bufs))
	quant[0] = *m.InputQuant
	nodes := r.g.nodes
	cur := 0
	for i := range m.Layers {
		l := &m.Layers[i]
		q, err := layerQuant(l, quant[cur])
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
		}
		if len(nodes) > 0 && nodes[0].Layer == i {
			n := nodes[0]
			nodes = nodes[1:]
			o, err := newInt8Op(m, l, q, n.InShape, r.arena.int8s(n.In), r.arena.int8s(n.Out), quant[n.In], r.threads)
			if err != nil {
				return fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
			}
			r.addOp(o, i)
			if p, ok := o.(interface{ preparedBytes() int }); ok {
				r.prepared += p.preparedBytes()
			}
		}
		cur = r.g.layerTensor[i]
		quant[cur] = q.Output
		r.info = append(r.info, newLayerInfo(m, i, q))
	}
	r.allocScratch()
	return nil
}

// layerQuant returns layer l's quantisation, checked; layers that pass
// their input through may omit it and then inherit in.
func layerQuant(l *model.Layer, in model.QuantParams) (*model.LayerQuant, error) {
	q := l.Quant
	passThrough := l.Type == model.Flatten || l.Type == model.Dropout || l.Type == model.MaxPool2D
	if q == nil {
		if !passThrough {
			return nil, errors.New("no quantisation parameters in an int8 model")
		}
		return &model.LayerQuant{Output: in, ActMin: -128, ActMax: 127}, nil
	}
	if err := checkQuantParams(q.Output); err != nil {
		return nil, fmt.Errorf("output quantisation: %w", err)
	}
	if err := checkActRange(q); err != nil {
		return nil, err
	}
	if passThrough && q.Output != in {
		return nil, fmt.Errorf("%s output quantisation %+v differs from its input's %+v", l.Type, q.Output, in)
	}
	return q, nil
}

// buildFloat makes the float operators.
func (r *Runtime) buildFloat() error {
	m := r.m
	last := r.g.nodes[len(r.g.nodes)-1].Layer
	for _, n := range r.g.nodes {
		l := &m.Layers[n.Layer]
		relu := false
		switch l.Activation {
		case model.ReLU:
			relu = true
		case "", model.Linear:
		case model.Sigmoid, model.Softmax:
			if n.Layer != last {
				return fmt.Errorf("layer %d (%s): activation %q is only supported on the last layer", n.Layer, l.Name, l.Activation)
			}
		default:
			return fmt.Errorf("layer %d (%s): unknown activation %q", n.Layer, l.Name, l.Activation)
		}
		o, err := newFloatOp(m, l, n.InShape, r.arena.float32s(n.In), r.arena.float32s(n.Out), relu && n.Layer != last)
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", n.Layer, l.Name, err)
		}
		r.addOp(o, n.Layer)
	}
	for i := range m.Layers {
		r.info = append(r.info, newLayerInfo(m, i, nil))
	}
	return nil
}

func (r *Runtime) addOp(o op, layer int) {
	r.ops = append(r.ops, o)
	r.opLayer = append(r.opLayer, layer)
}

// allocScratch gives every worker its im2col rows: one block sized for the
// largest convolution.
func (r *Runtime) allocScratch() {
	per := 0
	for _, o := range r.ops {
		if c, ok := o.(*convOp); ok {
			per = max(per, kernel.ConvScratchLen(&c.shape))
		}
	}
	per = (per + tensorAlign - 1) / tensorAlign * tensorAlign
	r.scratch = make([]int8, per*r.threads)
	for _, o := range r.ops {
		if c, ok := o.(*convOp); ok {
			for w := range c.scratch {
				c.scratch[w] = r.scratch[w*per : (w+1)*per]
			}
		}
	}
}

// Labels are the class names, in output order.
func (r *Runtime) Labels() []string { return r.m.Labels }

// InputSize is the model's input width and height.
func (r *Runtime) InputSize() (w, h int) { return r.m.Input.Width, r.m.Input.Height }

// Model is the model the runtime runs.
func (r *Runtime) Model() *model.Model { return r.m }

// Threads is the size of the worker pool.
func (r *Runtime) Threads() int { return r.threads }

// ArenaBytes is the size of the activation arena.
func (r *Runtime) ArenaBytes() int { return len(r.arena.bytes) }

// Close stops the worker pool; later calls return an error.
func (r *Runtime) Close() {
	r.closed = true
	r.pool.close()
}

// forward runs every operator on the prepared input tensor.
func (r *Runtime) forward() {
	for _, o := range r.ops {
		r.pool.run(o)
	}
}

// KernelPath names the int8 kernel implementation in use: "generic",
// "neon" (ARMv8.0), "sdot" (ARMv8.2 dot product), "avx2" or "avx512vnni"
// (x86-64). The environment variable EDGECNN_KERNEL of the CLI picks
// another of kernel.Available().
func KernelPath() string { return kernel.Impl() }

// sigmoid is the logistic function in float32.
func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
