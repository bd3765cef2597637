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
	for _, l := range n.layers {
		li := l.info()
		tr, fixed := li.paramCount()
		s.Layers = append(s.Layers, LayerSummary{Name: li.name, Type: kerasClass(li.kind), OutputShape: li.out.dims(), Params: tr + fixed})
		s.Trainable += tr
		s.NonTrainable += fixed
	}
	s.Total = s.Trainable + s.NonTrainable
	return s
}

// WriteTo prints the summary as Keras' model.summary() table.
func (s ModelSummary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	nameW, shapeW := 28, 26
	shapes := make([]string, len(s.Layers))
	for i, l := range s.Layers {
		dims := []string{"None"}
		for _, d := range l.OutputShape {
			dims = append(dims, strconv.Itoa(d))
		}
		shapes[i] = "(" + strings.Join(dims, ", ") + ")"
		nameW = max(nameW, len(l.Name)+len(l.Type)+4)
		shapeW = max(shapeW, len(shapes[i])+2)
	}
	width := 1 + nameW + shapeW + 10
	rule := strings.Repeat("_", width)
	fmt.Fprintf(&b, "Model: %q\n%s\n", s.Name, rule)
	fmt.Fprintf(&b, " %-*s%-*s%-10s\n%s\n", nameW, "Layer (type)", shapeW, "Output Shape", "Param #", strings.Repeat("=", width))
	for i, l := range s.Layers {
		fmt.Fprintf(&b, " %-*s%-*s%-10d\n", nameW, l.Name+" ("+l.Type+")", shapeW, shapes[i], l.Params)
		if i < len(s.Layers)-1 {
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
