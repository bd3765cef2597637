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

// layerFields lists the fields each layer type accepts besides "type".
var layerFields = map[string][]string{
	model.Conv2D:                 {"filters", "kernel_size", "strides", "padding", "activation"},
	model.MaxPool2D:              {"pool_size", "strides", "padding"},
	model.AveragePooling2D:       {"pool_size", "strides", "padding"},
	model.GlobalAveragePooling2D: {},
	model.Flatten:                {},
	model.Dense:                  {"units", "activation"},
	model.Dropout:                {"rate"},
	model.BatchNormalization:     {"epsilon", "momentum"},
}

// typeAliases maps normalised spellings to layer types.
var typeAliases = map[string]string{
	"conv2d": model.Conv2D, "convolution2d": model.Conv2D,
	"maxpool2d": model.MaxPool2D, "maxpooling2d": model.MaxPool2D,
	"averagepooling2d": model.AveragePooling2D, "avgpool2d": model.AveragePooling2D,
	"globalaveragepooling2d": model.GlobalAveragePooling2D, "globalavgpool2d": model.GlobalAveragePooling2D,
	"flatten": model.Flatten, "dense": model.Dense, "dropout": model.Dropout,
	"batchnormalization": model.BatchNormalization, "batchnorm": model.BatchNormalization,
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

type layerSpec struct {
	Type       string   `yaml:"type"`
	Filters    int      `yaml:"filters"`
	KernelSize pair     `yaml:"kernel_size"`
	Strides    pair     `yaml:"strides"`
	Padding    string   `yaml:"padding"`
	PoolSize   pair     `yaml:"pool_size"`
	Units      int      `yaml:"units"`
	Activation string   `yaml:"activation"`
	Rate       float64  `yaml:"rate"`
	Epsilon    *float64 `yaml:"epsilon"`
	Momentum   *float64 `yaml:"momentum"`
}

// buildError says which layer failed to build.
type buildError struct {
	layer int // 0-based
	err   error
}

func (e *buildError) Error() string { return e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }

// FromSpecFile builds the Sequential model a YAML or JSON spec file
// describes, for an h x w x c input. Errors name the file, the line and
// the field.
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
	layers := make([]layer, len(doc.Layers))
	for i := range doc.Layers {
		node := &doc.Layers[i]
		l, err := parseLayer(node)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: layer %d: %w", path, node.Line, i+1, err)
		}
		layers[i] = l
	}
	n, err := newSequential(doc.Name, h, w, c, layers)
	if be := (*buildError)(nil); errors.As(err, &be) {
		return nil, fmt.Errorf("%s:%d: %w", path, doc.Layers[be.layer].Line, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, _, err := n.Loss(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, doc.Layers[len(layers)-1].Line, err)
	}
	return n, nil
}

// parseLayer checks a layer's fields and makes the layer.
func parseLayer(node *yaml.Node) (layer, error) {
	if node.Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping such as {type: Dense, units: 6}")
	}
	var s layerSpec
	if err := node.Decode(&s); err != nil {
		return nil, errors.New(yamlMessage(err))
	}
	kind, ok := typeAliases[strings.ReplaceAll(strings.ToLower(s.Type), "_", "")]
	if !ok {
		return nil, fmt.Errorf("unknown type %q (want one of %s)", s.Type, strings.Join(layerTypes(), ", "))
	}
	allowed := map[string]bool{"type": true}
	for _, f := range layerFields[kind] {
		allowed[f] = true
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k := node.Content[i]; !allowed[k.Value] {
			return nil, fmt.Errorf("line %d: %s has no field %q (fields: %s)", k.Line, kind, k.Value, strings.Join(layerFields[kind], ", "))
		}
	}
	switch kind {
	case model.Conv2D:
		if s.KernelSize == (pair{}) {
			return nil, errors.New("Conv2D needs kernel_size")
		}
		act, err := parseActivation(s.Activation)
		if err != nil {
			return nil, err
		}
		st := orDefault(s.Strides, pair{1, 1})
		return newConv2D(s.Filters, s.KernelSize[0], s.KernelSize[1], st[0], st[1], strOr(s.Padding, model.Valid), act), nil
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
