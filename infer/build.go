package infer

import (
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

// maxArenaBytes bounds the activation memory a model may ask for.
const maxArenaBytes = 1 << 30

// tensorAlign is the alignment of every tensor in the arena.
const tensorAlign = 16

// node is one layer that computes: it reads tensor In (and, for Add, the
// tensors Others) and writes tensor Out (the same tensor for float
// BatchNormalization or ReLU working in place). Flatten and Dropout have
// no node: their output is their input's tensor.
type node struct {
	Layer   int
	In, Out int
	Others  []int
	InShape []int
}

// graph is a model's layers resolved to tensors and their lifetimes. Step 0
// writes the input (tensor 0), node i runs at step i+1 (nodes are in the
// model's topological order), and the head reads the last tensor at step
// len(nodes)+1. A tensor lives from the step that writes it to the step of
// its last consumer.
type graph struct {
	nodes       []node
	bufs        []buffer // one per tensor
	layerTensor []int    // the tensor each model layer outputs
	elemSize    int
}

// buildGraph checks that the layer shapes agree along the graph's edges and
// records each tensor's lifetime.
func buildGraph(m *model.Model) (*graph, error) {
	g := &graph{elemSize: 4}
	if m.DType == model.Int8 {
		g.elemSize = 1
	}
	inShape := m.InputShape()
	if inShape[2] != 3 {
		return nil, fmt.Errorf("input has %d channels; the runtime takes RGB (3)", inShape[2])
	}
	if geom.Elems(inShape) > geom.MaxElems {
		return nil, fmt.Errorf("input %v is too large", inShape)
	}
	inputs, err := m.Graph()
	if err != nil {
		return nil, err
	}
	uses := make([]int, len(m.Layers)+1) // consumers of each layer's output, the model input at 0
	for _, in := range inputs {
		for _, j := range in {
			uses[j+1]++
		}
	}
	g.newTensor(geom.Elems(inShape), 0)
	source := func(j int) (tensor int, shape []int) {
		if j == model.ModelInput {
			return 0, inShape
		}
		return g.layerTensor[j], m.Layers[j].OutputShape
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		first := inputs[i][0]
		in, shape := source(first)
		out, err := geom.OutputShape(l, shape)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
		}
		if !slices.Equal(out, l.OutputShape) {
			return nil, fmt.Errorf("layer %d (%s): output shape %v recorded, but a %s on %v gives %v", i, l.Name, l.OutputShape, l.Type, shape, out)
		}
		n := node{Layer: i, In: in, InShape: shape}
		if l.Type == model.Add {
			if m.DType == model.Int8 && len(inputs[i]) != 2 {
				return nil, fmt.Errorf("layer %d (%s): int8 Add of %d inputs (the runtime adds 2)", i, l.Name, len(inputs[i]))
			}
			for _, j := range inputs[i][1:] {
				t, _ := source(j)
				n.Others = append(n.Others, t)
			}
		}
		switch {
		case passesOn(l.Type):
			g.layerTensor = append(g.layerTensor, in)
			continue
		case l.Type == model.BatchNormalization || l.Type == model.ReLULayer:
			if m.DType == model.Int8 {
				return nil, fmt.Errorf("layer %d (%s): %s in an int8 graph (quantisation folds it into the convolution before it)", i, l.Name, l.Type)
			}
			// In place when this layer is the only reader of a computed
			// tensor (not one a Flatten or Dropout passes on).
			if uses[first+1] == 1 && (first == model.ModelInput || !passesOn(m.Layers[first].Type)) {
				n.Out = in
				g.nodes = append(g.nodes, n)
				g.layerTensor = append(g.layerTensor, in)
				continue
			}
		}
		g.nodes = append(g.nodes, n)
		step := len(g.nodes)
		n.Out = g.newTensor(geom.Elems(out), step)
		g.nodes[step-1].Out = n.Out
		g.layerTensor = append(g.layerTensor, n.Out)
	}
	if len(g.nodes) == 0 {
		return nil, errors.New("no layer computes anything")
	}
	for s, n := range g.nodes {
		for _, t := range append([]int{n.In}, n.Others...) {
			g.bufs[t].Last = max(g.bufs[t].Last, s+1)
		}
	}
	last := g.layerTensor[len(m.Layers)-1]
	g.bufs[last].Last = len(g.nodes) + 1
	return g, nil
}

// passesOn tells the layer types whose output is their input's tensor.
func passesOn(typ string) bool { return typ == model.Flatten || typ == model.Dropout }

// newTensor adds a tensor of n elements written at step first.
func (g *graph) newTensor(n, first int) int {
	size := n * g.elemSize
	alloc := size
	if g.elemSize == 1 {
		// Dense reads its input up to PaddedK(n) and a pointwise
		// convolution its last pixel up to PaddedK(C): KStep-1 bytes more
		// at most, multiplied by zero weights.
		alloc = n + kernel.KStep - 1
	}
	alloc = (alloc + tensorAlign - 1) / tensorAlign * tensorAlign
	g.bufs = append(g.bufs, buffer{Size: size, Alloc: alloc, First: first, Last: first})
	return len(g.bufs) - 1
}

// arena is the planned activation memory with typed views of its tensors.
type arena struct {
	bytes []byte
	g     *graph
}

// newArena plans the tensors of g and allocates the arena.
func newArena(g *graph) (*arena, error) {
	size := planArena(g.bufs)
	if size > maxArenaBytes {
		return nil, fmt.Errorf("activations need %d bytes, more than the %d-byte limit", size, maxArenaBytes)
	}
	words := make([]uint64, (size+7)/8+1) // 8-byte aligned; never empty
	return &arena{bytes: unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)[:size], g: g}, nil
}

// raw is tensor t's bytes, with capacity up to its reserved size.
func (a *arena) raw(t int) []byte {
	b := &a.g.bufs[t]
	return a.bytes[b.Offset : b.Offset+b.Size : b.Offset+b.Alloc]
}

// int8s is tensor t as int8 values (capacity up to its reserved size).
func (a *arena) int8s(t int) []int8 {
	b := a.raw(t)
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), cap(b))[:len(b)]
}

// float32s is tensor t as float32 values.
func (a *arena) float32s(t int) []float32 {
	b := a.raw(t)
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}
