package train

import (
	"fmt"
	"sort"

	"github.com/edgecnn/edgecnn/model"
)

// presets build the Keras course's models. All convolutions are 'same'
// with ReLU; pools are 2x2 stride 2.
var presets = map[string]func() []layer{
	// Conv32k5-Pool-Conv64k3-Pool-Conv128k3-Pool-Flatten-Dense6 relu
	"seed-tutorial": func() []layer {
		return []layer{
			conv(32, 5), maxPool(),
			conv(64, 3), maxPool(),
			conv(128, 3), maxPool(),
			&flatten{layerInfo{kind: model.Flatten}},
			newDense(6, model.ReLU),
		}
	},
	// Conv32k3-Pool-Conv64k3-Pool-Conv128k3-Conv128k3-Pool-Flatten-Dense6 relu-Dropout0.2
	"seed-exercise": func() []layer {
		return []layer{
			conv(32, 3), maxPool(),
			conv(64, 3), maxPool(),
			conv(128, 3), conv(128, 3), maxPool(),
			&flatten{layerInfo{kind: model.Flatten}},
			newDense(6, model.ReLU),
			newDropout(0.2),
		}
	},
}

func conv(filters, k int) layer { return newConv2D(filters, k, k, 1, 1, model.Same, model.ReLU) }
func maxPool() layer            { return newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid) }

// head is the classifier for the given number of classes: one sigmoid unit
// for two (binary cross-entropy), a softmax over all of them otherwise
// (sparse categorical cross-entropy).
func head(classes int) layer {
	if classes <= 2 {
		return newDense(1, model.Sigmoid)
	}
	return newDense(classes, model.Softmax)
}

// Presets returns the preset names.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for k := range presets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Preset builds a named model ("seed-tutorial", "seed-exercise") for an
// h x w x c input and the given number of classes, initialised from seed 0
// (call Init to choose another seed).
func Preset(name string, h, w, c, classes int) (*Sequential, error) {
	build, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown architecture %q (presets: %v)", name, Presets())
	}
	if classes < 2 {
		return nil, fmt.Errorf("%s: need at least 2 classes, got %d", name, classes)
	}
	return newSequential(name, h, w, c, append(build(), head(classes)))
}
