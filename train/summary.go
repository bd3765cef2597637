package train

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/edgecnn/edgecnn/model"
)

// LayerSummary describes one layer for Summary.
type LayerSummary struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // Keras class name, e.g. MaxPooling2D
	OutputShape []int  `json:"output_shape"`
	Params      int    `json:"params"`
	// Inputs names the layers it takes ("input": the model input), when
	// not only the layer before it.
	Inputs []string `json:"inputs,omitempty"`
}

// ModelSummary is what Keras' model.summary() reports.
type ModelSummary struct {
	Name         string         `json:"name"`
	Input        []int          `json:"input"`
	Layers       []LayerSummary `json:"layers"`
	Total        int            `json:"total_params"`
	Trainable    int            `json:"trainable_params"`
	NonTrainable int            `json:"non_trainable_params"`
}

// kerasClass is the class name Keras prints for a layer type.
func kerasClass(kind string) string {
	if kind == model.MaxPool2D {
		return "MaxPooling2D"
	}
	return kind
}

// Summary lists the layers with their output shapes and parameter counts.
func (n *Sequential) Summary() ModelSummary {
	s := ModelSummary{Name: n.Name, Input: n.input.dims()}
	for i, l := range n.layers {
		li := l.info()
		tr, fixed := li.paramCount()
		ls := LayerSummary{Name: li.name, Type: kerasClass(li.kind), OutputShape: li.out.dims(), Params: tr + fixed}
		if in := n.inputs[i]; len(in) != 1 || in[0] != i-1 {
			for k := range in {
				ls.Inputs = append(ls.Inputs, n.inputName(i, k))
			}
		}
		s.Layers = append(s.Layers, ls)
		s.Trainable += tr
		s.NonTrainable += fixed
	}
	s.Total = s.Trainable + s.NonTrainable
	return s
}

// WriteTo prints the summary as Keras' model.summary() table; a graph (a
// layer takes other inputs than the layer before it) is printed as Keras
// prints Functional models: an input row and a "Connected to" column.
func (s ModelSummary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	graph := false
	for _, l := range s.Layers {
		graph = graph || len(l.Inputs) > 0
	}
	rows := s.Layers
	if graph {
		rows = append([]LayerSummary{{Name: model.InputName, Type: "InputLayer", OutputShape: s.Input}}, rows...)
	}
	nameW, shapeW, connW := 28, 26, 0
	shapes := make([]string, len(rows))
	conns := make([][]string, len(rows))
	for i, l := range rows {
		dims := []string{"None"}
		for _, d := range l.OutputShape {
			dims = append(dims, strconv.Itoa(d))
		}
		shapes[i] = "(" + strings.Join(dims, ", ") + ")"
		nameW = max(nameW, len(l.Name)+len(l.Type)+4)
		shapeW = max(shapeW, len(shapes[i])+2)
		switch {
		case !graph || i == 0:
		case len(l.Inputs) > 0:
			conns[i] = l.Inputs
		default:
			conns[i] = []string{rows[i-1].Name}
		}
		for _, c := range conns[i] {
			connW = max(connW, len(c)+2)
		}
	}
	width := 1 + nameW + shapeW + 10
	if graph {
		width += max(connW, 14)
	}
	rule := strings.Repeat("_", width)
	fmt.Fprintf(&b, "Model: %q\n%s\n", s.Name, rule)
	header := fmt.Sprintf(" %-*s%-*s%-10s", nameW, "Layer (type)", shapeW, "Output Shape", "Param #")
	if graph {
		header += "Connected to"
	}
	fmt.Fprintf(&b, "%s\n%s\n", header, strings.Repeat("=", width))
	for i, l := range rows {
		line := fmt.Sprintf(" %-*s%-*s%-10d", nameW, l.Name+" ("+l.Type+")", shapeW, shapes[i], l.Params)
		for k, c := range conns[i] {
			if k > 0 {
				line = strings.Repeat(" ", 1+nameW+shapeW+10)
			}
			b.WriteString(line + c + "\n")
		}
		if len(conns[i]) == 0 {
			b.WriteString(line + "\n")
		}
		if i < len(rows)-1 {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n",
		strings.Repeat("=", width), commas(s.Total), commas(s.Trainable), commas(s.NonTrainable), rule)
	k, err := io.WriteString(w, b.String())
	return int64(k), err
}

// commas formats n with thousands separators, as Keras does.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
