package model

import (
	"fmt"
	"slices"
)

// InputName is how Layer.Inputs names the model's input.
const InputName = "input"

// ModelInput stands for the model's input among the indices Graph returns.
const ModelInput = -1

// Graph resolves every layer's inputs to layer indices (ModelInput for the
// model's input): graph[i] lists the layers whose outputs layer i takes.
func (m *Model) Graph() ([][]int, error) {
	explicit := false
	for _, l := range m.Layers {
		explicit = explicit || len(l.Inputs) > 0
	}
	index := map[string]int{}
	if explicit {
		for i, l := range m.Layers {
			switch _, dup := index[l.Name]; {
			case l.Name == "":
				return nil, fmt.Errorf("model %q: layer %d (%s) has no name; a graph with inputs needs every layer named", m.Name, i, l.Type)
			case l.Name == InputName:
				return nil, fmt.Errorf("model %q: layer %d is named %q, which stands for the model input", m.Name, i, InputName)
			case dup:
				return nil, fmt.Errorf("model %q: two layers are named %q", m.Name, l.Name)
			}
			index[l.Name] = i
		}
	}
	g := make([][]int, len(m.Layers))
	for i, l := range m.Layers {
		if len(l.Inputs) == 0 {
			g[i] = []int{i - 1} // i-1 == ModelInput for the first layer
			continue
		}
		for _, name := range l.Inputs {
			j, ok := index[name]
			switch {
			case name == InputName:
				j = ModelInput
			case !ok:
				return nil, fmt.Errorf("model %q: layer %d (%s): input %q is not a layer", m.Name, i, l.Name, name)
			case j >= i:
				return nil, fmt.Errorf("model %q: layer %d (%s): input %q comes after it (layers must be in topological order)", m.Name, i, l.Name, name)
			}
			g[i] = append(g[i], j)
		}
	}
	return g, nil
}

// checkGraph checks the inputs of every layer: their count for the layer's
// type, matching shapes for Add, and that every layer but the last feeds
// another one.
func (m *Model) checkGraph() error {
	g, err := m.Graph()
	if err != nil {
		return err
	}
	used := make([]bool, len(m.Layers))
	for i, in := range g {
		l := &m.Layers[i]
		if l.Type == Add {
			if len(in) < 2 {
				return fmt.Errorf("model %q: layer %d (%s): Add needs at least 2 inputs, has %d", m.Name, i, l.Name, len(in))
			}
		} else if len(in) != 1 {
			return fmt.Errorf("model %q: layer %d (%s): %s takes 1 input, has %d", m.Name, i, l.Name, l.Type, len(in))
		}
		for _, j := range in {
			if j == ModelInput {
				if l.Type == Add && !slices.Equal(m.InputShape(), l.OutputShape) {
					return fmt.Errorf("model %q: layer %d (%s): adds the input %v to a %v output", m.Name, i, l.Name, m.InputShape(), l.OutputShape)
				}
				continue
			}
			used[j] = true
			if l.Type == Add && !slices.Equal(m.Layers[j].OutputShape, l.OutputShape) {
				return fmt.Errorf("model %q: layer %d (%s): adds %s's %v to a %v output", m.Name, i, l.Name, m.Layers[j].Name, m.Layers[j].OutputShape, l.OutputShape)
			}
		}
	}
	for i := range len(m.Layers) - 1 {
		if !used[i] {
			return fmt.Errorf("model %q: layer %d (%s): its output is not used by any layer (only the last layer is the model's output)", m.Name, i, m.Layers[i].Name)
		}
	}
	return nil
}

// IsSequential reports whether the graph is a chain: every layer takes the
// output of the layer before it, and nothing else.
func (m *Model) IsSequential() bool {
	g, err := m.Graph()
	if err != nil {
		return false
	}
	for i, in := range g {
		if len(in) != 1 || in[0] != i-1 {
			return false
		}
	}
	return true
}

// RequireSequential is the error of a tool that runs Sequential graphs only
// (what names it), or nil for a Sequential graph.
func (m *Model) RequireSequential(what string) error {
	if m.IsSequential() {
		return nil
	}
	return fmt.Errorf("model %q is a graph with branches (Add, or layers that take other inputs than the layer before them); %s supports Sequential models only for now", m.Name, what)
}
