package infer

import (
	"github.com/edgecnn/edgecnn/infer/internal/geom"
	"github.com/edgecnn/edgecnn/model"
)

// LayerInfo describes one layer of a loaded model.
type LayerInfo struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	OutputShape []int  `json:"output_shape"`
	// MACs counts the multiply-accumulates of one frame (convolutions,
	// Dense).
	MACs int64 `json:"macs"`
	// WeightBytes is the size of the layer's stored tensors.
	WeightBytes int64 `json:"weight_bytes"`
	// Quant is the layer's output quantisation and clamp (int8 models).
	Quant *model.LayerQuant `json:"quant,omitempty"`
}

// newLayerInfo describes layer i of m, quantised as q (nil in float models).
func newLayerInfo(m *model.Model, i int, q *model.LayerQuant) LayerInfo {
	l := &m.Layers[i]
	in := m.InputShape()
	if g, err := m.Graph(); err == nil && g[i][0] != model.ModelInput {
		in = m.Layers[g[i][0]].OutputShape
	}
	info := LayerInfo{Index: i, Name: l.Name, Type: l.Type, OutputShape: l.OutputShape, Quant: q}
	switch l.Type {
	case model.Conv2D:
		w := geom.WindowOf(l)
		info.MACs = int64(geom.Elems(l.OutputShape)) * int64(w.KH*w.KW*in[len(in)-1])
	case model.DepthwiseConv2D:
		w := geom.WindowOf(l)
		info.MACs = int64(geom.Elems(l.OutputShape)) * int64(w.KH*w.KW)
	case model.Dense:
		info.MACs = int64(geom.Elems(in)) * int64(l.Units)
	}
	names := append([]string(nil), l.Weights...)
	if q != nil {
		names = append(names, q.Weights, q.WeightScales, q.Bias, q.Multiplier, q.Shift)
	}
	seen := map[string]bool{"": true}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if t, err := m.Tensor(name); err == nil {
			info.WeightBytes += int64(len(t.Data))
		}
	}
	return info
}

// Summary is what a loaded model costs: per layer and in total.
type Summary struct {
	Model   string      `json:"model"`
	DType   model.DType `json:"dtype"`
	Input   []int       `json:"input_shape"`
	Kernel  string      `json:"kernel"`
	Threads int         `json:"threads"`
	Layers  []LayerInfo `json:"layers"`
	// MACs and WeightBytes are the sums over the layers.
	MACs        int64 `json:"macs"`
	WeightBytes int64 `json:"weight_bytes"`
	// ArenaBytes is the planned activation memory; ArenaLowerBound the
	// most bytes of tensors alive at one time (no plan can do better);
	// NaiveBytes one buffer per tensor.
	ArenaBytes      int `json:"arena_bytes"`
	ArenaLowerBound int `json:"arena_lower_bound_bytes"`
	NaiveBytes      int `json:"naive_bytes"`
	// ScratchBytes is the memory beside the arena: im2col rows for every
	// worker, the float input staging, the head's buffers.
	ScratchBytes int `json:"scratch_bytes"`
	// PreparedBytes is what the kernels derived from the weights at load:
	// 0 where they use them in place; on AVX-512 VNNI a copy in its order.
	PreparedBytes int `json:"prepared_bytes"`
}

// Summary describes the loaded model and its memory plan.
func (r *Runtime) Summary() Summary {
	s := Summary{
		Model: r.m.Name, DType: r.m.DType, Input: r.m.InputShape(), Kernel: KernelPath(), Threads: r.threads,
		Layers:          r.info,
		ArenaBytes:      r.ArenaBytes(),
		ArenaLowerBound: lowerBound(r.g.bufs),
		NaiveBytes:      naiveBytes(r.g.bufs),
		ScratchBytes:    len(r.scratch) + len(r.in.rgb) + 4*len(r.head.probs),
		PreparedBytes:   r.prepared,
	}
	if r.head.q8 != nil {
		s.ScratchBytes += 4 * len(r.head.logits)
	}
	for _, l := range r.info {
		s.MACs += l.MACs
		s.WeightBytes += l.WeightBytes
	}
	return s
}
