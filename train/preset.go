package train

import (
	"fmt"
	"sort"

	"github.com/edgecnn/edgecnn/model"
)

// presetArgs are what a preset is built for.
type presetArgs struct {
	h, w, classes int
	alpha         float64 // width multiplier; 0 means the preset's default
}

// presets build the named architectures: the Keras course's Sequential
// models (all convolutions 'same' with ReLU, pools 2x2 stride 2, and a
// head for the classes) and Keras' MobileNet and MobileNetV2.
var presets = map[string]func(presetArgs) ([]node, error){
	// Conv32k5-Pool-Conv64k3-Pool-Conv128k3-Pool-Flatten-Dense6 relu
	"seed-tutorial": seed(func() []layer {
		return []layer{
			conv(32, 5), maxPool(),
			conv(64, 3), maxPool(),
			conv(128, 3), maxPool(),
			&flatten{layerInfo{kind: model.Flatten}},
			newDense(6, model.ReLU),
		}
	}),
	// Conv32k3-Pool-Conv64k3-Pool-Conv128k3-Conv128k3-Pool-Flatten-Dense6 relu-Dropout0.2
	"seed-exercise": seed(func() []layer {
		return []layer{
			conv(32, 3), maxPool(),
			conv(64, 3), maxPool(),
			conv(128, 3), conv(128, 3), maxPool(),
			&flatten{layerInfo{kind: model.Flatten}},
			newDense(6, model.ReLU),
			newDropout(0.2),
		}
	}),
	"mobilenet-v1": mobileNetV1,
	"mobilenet-v2": mobileNetV2,
}

// seed makes a fixed Sequential preset followed by head(classes).
func seed(build func() []layer) func(presetArgs) ([]node, error) {
	return func(a presetArgs) ([]node, error) {
		if a.alpha != 0 && a.alpha != 1 {
			return nil, fmt.Errorf("the width multiplier (alpha) applies to the mobilenet presets only")
		}
		var nodes []node
		for _, l := range append(build(), head(a.classes)) {
			nodes = append(nodes, node{l: l})
		}
		return nodes, nil
	}
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

// Preset builds a named model for an h x w x c input and the given number
// of classes, initialised from seed 0 (call Init to choose another seed).
// It is PresetAlpha with the preset's default width.
func Preset(name string, h, w, c, classes int) (*Sequential, error) {
	return PresetAlpha(name, 0, h, w, c, classes)
}

// PresetAlpha builds a named model ("seed-tutorial", "seed-exercise",
// "mobilenet-v1", "mobilenet-v2") with width multiplier alpha (the
// mobilenets' alpha; 0 means 1) for an h x w x c input and the given number
// of classes, initialised from seed 0.
func PresetAlpha(name string, alpha float64, h, w, c, classes int) (*Sequential, error) {
	build, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unknown architecture %q (presets: %v)", name, Presets())
	}
	if classes < 2 {
		return nil, fmt.Errorf("%s: need at least 2 classes, got %d", name, classes)
	}
	if alpha < 0 || alpha > 4 {
		return nil, fmt.Errorf("%s: alpha %g is outside (0, 4]", name, alpha)
	}
	nodes, err := build(presetArgs{h: h, w: w, classes: classes, alpha: alpha})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return newGraph(name, h, w, c, nodes)
}

// mobileSize checks an input size for the mobilenets: a multiple of 32, so
// that each of the five stride-2 layers halves an even size (then 'same'
// padding equals Keras' explicit ZeroPadding2D before them).
func mobileSize(a presetArgs) error {
	if a.h < 32 || a.w < 32 || a.h%32 != 0 || a.w%32 != 0 {
		return fmt.Errorf("image size %dx%d: the mobilenets take multiples of 32 (32, 64, 96, 128, ..., 224)", a.w, a.h)
	}
	return nil
}

// netBuilder appends named layers to a graph.
type netBuilder struct {
	nodes []node
}

// add appends l named name taking the layer before it, or inputs.
func (b *netBuilder) add(name string, l layer, inputs ...string) {
	b.nodes = append(b.nodes, node{l: l, name: name, inputs: inputs})
}

// convBNReLU6 appends a bias-free convolution (Conv2D, or DepthwiseConv2D
// when filters is 0), BatchNormalization and ReLU6 (unless relu is "").
func (b *netBuilder) convBN(conv, bn, relu string, filters, k, stride int, momentum float64) {
	if filters == 0 {
		b.add(conv, newDepthwise(k, k, stride, stride, model.Same, model.Linear, true))
	} else {
		c := newConv2D(filters, k, k, stride, stride, model.Same, model.Linear)
		c.noBias = true
		b.add(conv, c)
	}
	b.add(bn, newBatchNorm(1e-3, momentum))
	if relu != "" {
		b.add(relu, newReLULayer(6))
	}
}

// mobileNetV1 is keras.applications.MobileNet(alpha, depth_multiplier=1,
// include_top=True, weights=None, classes): a strided 3x3 convolution and
// 13 depthwise-separable blocks, each convolution followed by
// BatchNormalization (momentum 0.99) and ReLU6, filters int(f * alpha).
// Keras' head (global pooling, dropout 1e-3, a 1x1 convolution with bias
// to the classes, softmax) is written with Dense, which has the same
// parameters. Keras pads the stride-2 depthwise layers with ZeroPadding2D
// and 'valid'; on the even sizes mobileSize admits that is 'same'.
func mobileNetV1(a presetArgs) ([]node, error) {
	if err := mobileSize(a); err != nil {
		return nil, err
	}
	alpha := orOne(a.alpha)
	width := func(f int) int { return int(float64(f) * alpha) }
	b := &netBuilder{}
	b.convBN("conv1", "conv1_bn", "conv1_relu", width(32), 3, 2, 0.99)
	blocks := []struct{ filters, stride int }{
		{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
	}
	for i, blk := range blocks {
		id := i + 1
		b.convBN(fmt.Sprintf("conv_dw_%d", id), fmt.Sprintf("conv_dw_%d_bn", id), fmt.Sprintf("conv_dw_%d_relu", id), 0, 3, blk.stride, 0.99)
		b.convBN(fmt.Sprintf("conv_pw_%d", id), fmt.Sprintf("conv_pw_%d_bn", id), fmt.Sprintf("conv_pw_%d_relu", id), width(blk.filters), 1, 1, 0.99)
	}
	b.add("global_average_pooling2d", &globalAvgPool{layerInfo: layerInfo{kind: model.GlobalAveragePooling2D}})
	b.add("dropout", newDropout(1e-3))
	b.add("predictions", newDense(a.classes, model.Softmax))
	return b.nodes, nil
}

// mobileNetV2 is keras.applications.MobileNetV2(alpha, include_top=True,
// weights=None, classes): a strided 3x3 convolution of
// makeDivisible(32*alpha) filters, 17 inverted-residual blocks (1x1
// expansion by t, 3x3 depthwise, linear 1x1 projection to
// makeDivisible(int(c*alpha)) channels, Add when shape allows), a 1x1
// convolution to 1280 channels (makeDivisible(1280*alpha) when alpha > 1),
// global pooling and a softmax Dense. Convolutions have no bias and are
// followed by BatchNormalization (momentum 0.999) and, except projections,
// ReLU6. Keras' ZeroPadding2D + 'valid' before stride-2 depthwise layers is
// 'same' here (equal on the even sizes mobileSize admits).
func mobileNetV2(a presetArgs) ([]node, error) {
	if err := mobileSize(a); err != nil {
		return nil, err
	}
	alpha := orOne(a.alpha)
	b := &netBuilder{}
	in := makeDivisible(32*alpha, 8)
	b.convBN("Conv1", "bn_Conv1", "Conv1_relu", in, 3, 2, 0.999)
	blocks := []struct{ t, c, n, s int }{ // MobileNetV2's table 2
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	}
	id := 0
	for _, blk := range blocks {
		for r := range blk.n {
			stride := blk.s
			if r > 0 {
				stride = 1
			}
			out := makeDivisible(float64(int(float64(blk.c)*alpha)), 8)
			blockInput := b.nodes[len(b.nodes)-1].name
			prefix := fmt.Sprintf("block_%d_", id)
			if id == 0 {
				prefix = "expanded_conv_"
			} else {
				b.convBN(prefix+"expand", prefix+"expand_BN", prefix+"expand_relu", blk.t*in, 1, 1, 0.999)
			}
			b.convBN(prefix+"depthwise", prefix+"depthwise_BN", prefix+"depthwise_relu", 0, 3, stride, 0.999)
			b.convBN(prefix+"project", prefix+"project_BN", "", out, 1, 1, 0.999)
			if in == out && stride == 1 {
				b.add(prefix+"add", newAdd(), blockInput, prefix+"project_BN")
			}
			in = out
			id++
		}
	}
	last := 1280
	if alpha > 1 {
		last = makeDivisible(1280*alpha, 8)
	}
	b.convBN("Conv_1", "Conv_1_bn", "out_relu", last, 1, 1, 0.999)
	b.add("global_average_pooling2d", &globalAvgPool{layerInfo: layerInfo{kind: model.GlobalAveragePooling2D}})
	b.add("predictions", newDense(a.classes, model.Softmax))
	return b.nodes, nil
}

// makeDivisible is MobileNetV2's channel rounding: v to the nearest
// multiple of divisor (at least divisor), one more multiple if that lost
// over 10% of v.
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

func orOne(alpha float64) float64 {
	if alpha == 0 {
		return 1
	}
	return alpha
}
