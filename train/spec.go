package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/edgecnn/edgecnn/model"
	"go.yaml.in/yaml/v3"
)

// layerFields lists the fields each layer type accepts besides those every
// layer has (commonFields).
var layerFields = map[string][]string{
	model.Conv2D:                 {"filters", "kernel_size", "strides", "padding", "activation", "use_bias"},
	model.DepthwiseConv2D:        {"kernel_size", "strides", "padding", "activation", "use_bias", "depth_multiplier"},
	model.SeparableConv2D:        {"filters", "kernel_size", "strides", "padding", "activation", "use_bias", "depth_multiplier"},
	model.ReLULayer:              {"max_value"},
	model.Add:                    {},
	model.MaxPool2D:              {"pool_size", "strides", "padding"},
	model.AveragePooling2D:       {"pool_size", "strides", "padding"},
	model.GlobalAveragePooling2D: {},
	model.Flatten:                {},
	model.Dense:                  {"units", "activation"},
	model.Dropout:                {"rate"},
	model.BatchNormalization:     {"epsilon", "momentum"},
}

// commonFields are the fields of every layer: its type, its name (default:
// Keras' automatic name) and its inputs (default: the layer before it; name
// the model input "input").
var commonFields = []string{"type", "name", "inputs"}

// typeAliases maps normalised spellings to layer types.
var typeAliases = map[string]string{
	"conv2d": model.Conv2D, "convolution2d": model.Conv2D,
	"maxpool2d": model.MaxPool2D, "maxpooling2d": model.MaxPool2D,
	"averagepooling2d": model.AveragePooling2D, "avgpool2d": model.AveragePooling2D,
	"globalaveragepooling2d": model.GlobalAveragePooling2D, "globalavgpool2d": model.GlobalAveragePooling2D,
	"flatten": model.Flatten, "dense": model.Dense, "dropout": model.Dropout,
	"batchnormalization": model.BatchNormalization, "batchnorm": model.BatchNormalization,
	"depthwiseconv2d": model.DepthwiseConv2D, "separableconv2d": model.SeparableConv2D,
	"relu": model.ReLULayer, "add": model.Add,
}

// pair is a size that may be written as one number or as [h, w].
type pair [2]int

func (p *pair) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v int
		if err := n.Decode(&v); err != nil {
			return err
		}
		*p = pair{v, v}
		return nil
	}
	var v []int
	if err := n.Decode(&v); err != nil || len(v) != 2 {
		return fmt.Errorf("line %d: want a number or [height, width]", n.Line)
	}
	*p = pair{v[0], v[1]}
	return nil
}

// names is one name or a list of them.
type names []string

func (s *names) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = names{n.Value}
		return nil
	}
	var v []string
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("line %d: want a layer name or a list of them", n.Line)
	}
	*s = v
	return nil
}

type layerSpec struct {
	Type            string   `yaml:"type"`
	Name            string   `yaml:"name"`
	Inputs          names    `yaml:"inputs"`
	UseBias         *bool    `yaml:"use_bias"`
	DepthMultiplier *int     `yaml:"depth_multiplier"`
	MaxValue        float64  `yaml:"max_value"`
	Filters         int      `yaml:"filters"`
	KernelSize      pair     `yaml:"kernel_size"`
	Strides         pair     `yaml:"strides"`
	Padding         string   `yaml:"padding"`
	PoolSize        pair     `yaml:"pool_size"`
	Units           int      `yaml:"units"`
	Activation      string   `yaml:"activation"`
	Rate            float64  `yaml:"rate"`
	Epsilon         *float64 `yaml:"epsilon"`
	Momentum        *float64 `yaml:"momentum"`
}

// buildError says which layer failed to build.
type buildError struct {
	layer int // 0-based
	err   error
}

func (e *buildError) Error() string { return e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }

// FromSpecFile builds the model a YAML or JSON spec file describes, for an
// h x w x c input: a Sequential list of layers, where a layer may name its
// inputs to make branches (and Add them). Errors name the file, the line
// and the field.
func FromSpecFile(path string, h, w, c int) (*Sequential, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Name   string      `yaml:"name"`
		Layers []yaml.Node `yaml:"layers"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yamlMessage(err))
	}
	if len(doc.Layers) == 0 {
		return nil, fmt.Errorf("%s: no layers (want a \"layers:\" list)", path)
	}
	if doc.Name == "" {
		doc.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	nodes := make([]node, len(doc.Layers))
	for i := range doc.Layers {
		yn := &doc.Layers[i]
		nd, err := parseLayer(yn)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: layer %d: %w", path, yn.Line, i+1, err)
		}
		nodes[i] = nd
	}
	n, err := newGraph(doc.Name, h, w, c, nodes)
	if be := (*buildError)(nil); errors.As(err, &be) {
		return nil, fmt.Errorf("%s:%d: %w", path, doc.Layers[be.layer].Line, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, _, err := n.Loss(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, doc.Layers[len(nodes)-1].Line, err)
	}
	return n, nil
}

// parseLayer checks a layer's fields and makes the layer.
func parseLayer(yn *yaml.Node) (node, error) {
	if yn.Kind != yaml.MappingNode {
		return node{}, errors.New("want a mapping such as {type: Dense, units: 6}")
	}
	var s layerSpec
	if err := yn.Decode(&s); err != nil {
		return node{}, errors.New(yamlMessage(err))
	}
	kind, ok := typeAliases[strings.ReplaceAll(strings.ToLower(s.Type), "_", "")]
	if !ok {
		return node{}, fmt.Errorf("unknown type %q (want one of %s)", s.Type, strings.Join(layerTypes(), ", "))
	}
	allowed := map[string]bool{}
	for _, f := range append(commonFields, layerFields[kind]...) {
		allowed[f] = true
	}
	for i := 0; i+1 < len(yn.Content); i += 2 {
		if k := yn.Content[i]; !allowed[k.Value] {
			return node{}, fmt.Errorf("line %d: %s has no field %q (fields: %s)", k.Line, kind, k.Value, strings.Join(append(commonFields[1:], layerFields[kind]...), ", "))
		}
	}
	l, err := specLayer(kind, &s)
	if err != nil {
		return node{}, err
	}
	return node{l: l, name: s.Name, inputs: s.Inputs}, nil
}

// specLayer makes a layer of the given type from its checked fields.
func specLayer(kind string, s *layerSpec) (layer, error) {
	switch kind {
	case model.Conv2D, model.DepthwiseConv2D, model.SeparableConv2D:
		if s.KernelSize == (pair{}) {
			return nil, fmt.Errorf("%s needs kernel_size", kind)
		}
		if s.DepthMultiplier != nil && *s.DepthMultiplier != 1 {
			return nil, fmt.Errorf("depth_multiplier %d is not supported (only 1)", *s.DepthMultiplier)
		}
		act, err := parseActivation(s.Activation)
		if err != nil {
			return nil, err
		}
		k, st, pad := s.KernelSize, orDefault(s.Strides, pair{1, 1}), strOr(s.Padding, model.Valid)
		noBias := s.UseBias != nil && !*s.UseBias
		switch kind {
		case model.DepthwiseConv2D:
			return newDepthwise(k[0], k[1], st[0], st[1], pad, act, noBias), nil
		case model.SeparableConv2D:
			return newSeparable(s.Filters, k[0], k[1], st[0], st[1], pad, act, noBias), nil
		}
		c := newConv2D(s.Filters, k[0], k[1], st[0], st[1], pad, act)
		c.noBias = noBias
		return c, nil
	case model.ReLULayer:
		return newReLULayer(s.MaxValue), nil
	case model.Add:
		return newAdd(), nil
	case model.MaxPool2D, model.AveragePooling2D:
		ps := orDefault(s.PoolSize, pair{2, 2})
		st := orDefault(s.Strides, ps)
		return newPool2D(kind, ps[0], ps[1], st[0], st[1], strOr(s.Padding, model.Valid)), nil
	case model.GlobalAveragePooling2D:
		return &globalAvgPool{layerInfo: layerInfo{kind: kind}}, nil
	case model.Flatten:
		return &flatten{layerInfo{kind: kind}}, nil
	case model.Dense:
		act, err := parseActivation(s.Activation)
		if err != nil {
			return nil, err
		}
		return newDense(s.Units, act), nil
	case model.Dropout:
		return newDropout(s.Rate), nil
	}
	eps, mom := 1e-3, 0.99
	if s.Epsilon != nil {
		eps = *s.Epsilon
	}
	if s.Momentum != nil {
		mom = *s.Momentum
	}
	return newBatchNorm(eps, mom), nil
}

// yamlMessage shortens yaml's errors to "line N: problem" and names the
// top-level fields instead of a Go struct type.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if at := strings.Index(m, " in type "); at >= 0 {
			m = m[:at] + " (fields: name, layers)"
		}
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}

func orDefault(p, def pair) pair {
	if p == (pair{}) {
		return def
	}
	return p
}

func strOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func layerTypes() []string {
	var t []string
	for k := range layerFields {
		t = append(t, k)
	}
	sort.Strings(t)
	return t
}
