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

// node is one layer that computes: it reads tensor In and writes tensor Out
// (the same tensor for in-place BatchNormalization). Flatten and Dropout
// have no node: their output is their input's tensor.
type node struct {
	Layer   int
	In, Out int
	InShape []int
}

// graph is a model's layers resolved to tensors and their lifetimes. Step 0
// writes the input (tensor 0), node i runs at step i+1, and the head reads
// the last tensor at step len(nodes)+1.
type graph struct {
	nodes       []node
	bufs        []buffer // one per tensor
	layerTensor []int    // the tensor each model layer outputs
	elemSize    int
}

// buildGraph checks that the layer shapes chain from the input and records
// each tensor's lifetime.
func buildGraph(m *model.Model) (*graph, error) {
	g := &graph{elemSize: 4}
	if m.DType == model.Int8 {
		g.elemSize = 1
	}
	shape := m.InputShape()
	if shape[2] != 3 {
		return nil, fmt.Errorf("input has %d channels; the runtime takes RGB (3)", shape[2])
	}
	if geom.Elems(shape) > geom.MaxElems {
		return nil, fmt.Errorf("input %v is too large", shape)
	}
	g.newTensor(geom.Elems(shape), 0)
	cur := 0
	for i := range m.Layers {
		l := &m.Layers[i]
		out, err := geom.OutputShape(l, shape)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
		}
		if !slices.Equal(out, l.OutputShape) {
			return nil, fmt.Errorf("layer %d (%s): output shape %v recorded, but a %s on %v gives %v", i, l.Name, l.OutputShape, l.Type, shape, out)
		}
		switch l.Type {
		case model.Flatten, model.Dropout:
		case model.BatchNormalization:
			if m.DType == model.Int8 {
				return nil, fmt.Errorf("layer %d (%s): BatchNormalization in an int8 graph (quantisation folds it into the convolution)", i, l.Name)
			}
			g.nodes = append(g.nodes, node{Layer: i, In: cur, Out: cur, InShape: shape})
			g.bufs[cur].Last = len(g.nodes)
		default:
			g.nodes = append(g.nodes, node{Layer: i, In: cur, InShape: shape})
			step := len(g.nodes)
			g.bufs[cur].Last = step
			cur = g.newTensor(geom.Elems(out), step)
			g.nodes[step-1].Out = cur
		}
		g.layerTensor = append(g.layerTensor, cur)
		shape = out
	}
	if len(g.nodes) == 0 {
		return nil, errors.New("no layer computes anything")
	}
	g.bufs[cur].Last = len(g.nodes) + 1
	return g, nil
}

// newTensor adds a tensor of n elements written at step first.
func (g *graph) newTensor(n, first int) int {
	size := n * g.elemSize
	alloc := size
	if g.elemSize == 1 {
		alloc = kernel.PaddedK(n) // Dense reads its input up to PaddedK
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
