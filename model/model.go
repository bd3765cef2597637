// Package model defines the .ecnn file format and the graph it describes:
// layers with their Keras attributes and inputs (a Sequential stack or a
// DAG with branches and Add, see Layer.Inputs), the input preprocessing the
// model was trained with, class labels, tensors (float32, float16, int8,
// int32), quantisation parameters and provenance.
//
// A float model holds, per layer, the tensors Keras would (Conv2D and Dense:
// kernel, bias unless NoBias; DepthwiseConv2D: depthwise_kernel, bias;
// SeparableConv2D: depthwise_kernel, pointwise_kernel, bias;
// BatchNormalization: gamma, beta, moving_mean, moving_variance). Conv2D
// kernels are stored HWIO ([KH, KW, IC, OC]), depthwise kernels
// [KH, KW, IC, DepthMultiplier] and Dense kernels [in, out], as Keras
// stores them.
//
// An int8 model (Model.DType == Int8) is the graph after quantisation:
// BatchNormalization folded, Dropout removed, ReLU fused. Each layer carries a
// LayerQuant with its output's scale and zero point and the names of its
// int8/int32 tensors; see LayerQuant.
package model

import (
	"fmt"
	"time"
)

// Layer types, as Keras names them.
const (
	Conv2D                 = "Conv2D"
	MaxPool2D              = "MaxPool2D"
	AveragePooling2D       = "AveragePooling2D"
	GlobalAveragePooling2D = "GlobalAveragePooling2D"
	Dense                  = "Dense"
	Flatten                = "Flatten"
	Dropout                = "Dropout"
	BatchNormalization     = "BatchNormalization"
	DepthwiseConv2D        = "DepthwiseConv2D"
	SeparableConv2D        = "SeparableConv2D"
	Add                    = "Add"
	// ReLULayer is Keras' ReLU layer (ReLU6 with MaxValue 6).
	ReLULayer = "ReLU"
)

// Activations.
const (
	Linear  = "linear"
	ReLU    = "relu"
	ReLU6   = "relu6"
	Sigmoid = "sigmoid"
	Softmax = "softmax"
)

// Padding modes.
const (
	Same  = "same"
	Valid = "valid"
)

// Layer is one layer of the graph. Fields that do not apply to a layer's
// type are zero.
type Layer struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Inputs names the layers (or InputName, the model input) whose outputs
	// this layer takes, in order. Empty means the layer before it (the model
	// input for the first layer), as in a Sequential model. A layer may only
	// name layers before it, so Layers is in topological order.
	Inputs          []string `json:"inputs,omitempty"`
	Filters         int      `json:"filters,omitempty"`          // Conv2D, SeparableConv2D
	KernelSize      [2]int   `json:"kernel_size,omitempty"`      // convolutions (h, w)
	Strides         [2]int   `json:"strides,omitempty"`          // convolutions, pooling (h, w)
	Padding         string   `json:"padding,omitempty"`          // convolutions, pooling
	DepthMultiplier int      `json:"depth_multiplier,omitempty"` // DepthwiseConv2D, SeparableConv2D (0 means 1)
	NoBias          bool     `json:"no_bias,omitempty"`          // convolutions: Keras' use_bias=False
	PoolSize        [2]int   `json:"pool_size,omitempty"`        // pooling (h, w)
	Units           int      `json:"units,omitempty"`            // Dense
	Activation      string   `json:"activation,omitempty"`       // convolutions, Dense
	MaxValue        float64  `json:"max_value,omitempty"`        // ReLU (0: no upper bound)
	Rate            float64  `json:"rate,omitempty"`             // Dropout
	Epsilon         float64  `json:"epsilon,omitempty"`          // BatchNormalization
	Momentum        float64  `json:"momentum,omitempty"`         // BatchNormalization

	// OutputShape is the layer's output without the batch dimension:
	// [H, W, C] for spatial layers, [N] after Flatten or Dense.
	OutputShape []int `json:"output_shape"`
	// Weights names the layer's tensors in Keras order.
	Weights []string `json:"weights,omitempty"`
	// Quant is set in int8 models.
	Quant *LayerQuant `json:"quant,omitempty"`
}

// QuantParams maps int8 values to reals: real = Scale * (q - ZeroPoint).
type QuantParams struct {
	Scale     float32 `json:"scale"`
	ZeroPoint int32   `json:"zero_point"`
}

// LayerQuant holds a quantised layer's parameters (the TFLite int8 scheme of
// DESIGN.md).
type LayerQuant struct {
	// Output is the quantisation of the layer's output activation.
	Output QuantParams `json:"output"`
	// ActMin and ActMax clamp the int8 output (a fused ReLU raises ActMin
	// to the output zero point). Without activation they are -128 and 127.
	ActMin int32 `json:"act_min"`
	ActMax int32 `json:"act_max"`

	// The rest applies to Conv2D and Dense.

	// Weights names the int8 weight tensor: symmetric per output channel,
	// values in [-127, 127], in the layout named by WeightLayout.
	Weights string `json:"weights,omitempty"`
	// WeightLayout names the packing of Weights (see infer's kernels);
	// "oc-k" is the canonical layout [OC][K] with K = KH*KW*IC in HWC order.
	WeightLayout string `json:"weight_layout,omitempty"`
	// WeightScales names the float32 tensor of per-output-channel scales.
	WeightScales string `json:"weight_scales,omitempty"`
	// Bias names the int32 bias tensor, scale input_scale*weight_scale[c],
	// with the input zero point's contribution already folded in:
	// bias[c] - zp_in * sum_k w[c][k].
	Bias string `json:"bias,omitempty"`
	// Multiplier and Shift name int32 tensors: per output channel, the
	// Q31 fixed-point multiplier and the shift (TFLite convention: positive
	// shifts left, negative shifts right) that map accumulators to the
	// output scale.
	Multiplier string `json:"multiplier,omitempty"`
	Shift      string `json:"shift,omitempty"`
}

// Preprocess records how an image becomes the model's input, so the device
// prepares a camera frame with the same code and settings as training did.
type Preprocess struct {
	Height   int `json:"height"`
	Width    int `json:"width"`
	Channels int `json:"channels"`
	// Interpolation is "bilinear" (default) or "nearest"; large shrinks are
	// area-averaged first so they do not alias.
	Interpolation string `json:"interpolation"`
	// Pixel values p in [0, 255] become p*Scale + Offset.
	Scale  float32 `json:"scale"`
	Offset float32 `json:"offset"`
}

// Provenance says where a model came from.
type Provenance struct {
	Created   time.Time          `json:"created"`
	Tool      string             `json:"tool,omitempty"`
	TrainData string             `json:"train_data,omitempty"`
	ValidData string             `json:"valid_data,omitempty"`
	Epochs    int                `json:"epochs,omitempty"`
	Seed      int64              `json:"seed,omitempty"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Source    string             `json:"source,omitempty"` // e.g. the float model an int8 model came from
	Calib     string             `json:"calib,omitempty"`  // calibration method and samples
}

// Parity records how an int8 model compares with its float model.
type Parity struct {
	Data          string  `json:"data"`
	Images        int     `json:"images"`
	FloatAccuracy float64 `json:"float_accuracy"`
	Int8Accuracy  float64 `json:"int8_accuracy"`
	Agreement     float64 `json:"agreement"`
	MeanAbsDiff   float64 `json:"mean_abs_diff"`
	MaxAbsDiff    float64 `json:"max_abs_diff"`
}

// Probe is a stored input with the output the model must give for it, so a
// device can check itself after install.
type Probe struct {
	// Input names a uint8 tensor holding an RGB image of the model's input
	// size (stored as int8 bytes; reinterpret as uint8).
	Input string `json:"input"`
	// Probabilities are the expected outputs.
	Probabilities []float32 `json:"probabilities"`
	// Tolerance is the largest allowed absolute difference per output.
	Tolerance float32 `json:"tolerance"`
}

// DType of a whole model: float32, float16 (weights stored in float16,
// computed in float32) or int8.
type Model struct {
	Name       string       `json:"name"`
	DType      DType        `json:"dtype"`
	Input      Preprocess   `json:"input"`
	InputQuant *QuantParams `json:"input_quant,omitempty"` // int8 models
	Labels     []string     `json:"labels"`
	Loss       string       `json:"loss,omitempty"`
	Layers     []Layer      `json:"layers"`
	Provenance Provenance   `json:"provenance"`
	Parity     *Parity      `json:"parity,omitempty"`
	Probes     []Probe      `json:"probes,omitempty"`
	Tensors    []*Tensor    `json:"-"`
	index      map[string]*Tensor
}

// Tensor returns the tensor with the given name.
func (m *Model) Tensor(name string) (*Tensor, error) {
	if m.index == nil || len(m.index) != len(m.Tensors) {
		m.index = make(map[string]*Tensor, len(m.Tensors))
		for _, t := range m.Tensors {
			m.index[t.Name] = t
		}
	}
	t, ok := m.index[name]
	if !ok {
		return nil, fmt.Errorf("model %q: no tensor %q", m.Name, name)
	}
	return t, nil
}

// AddTensor appends t to the model's tensor table.
func (m *Model) AddTensor(t *Tensor) {
	m.Tensors = append(m.Tensors, t)
	m.index = nil
}

// InputShape is the model input without the batch dimension: [H, W, C].
func (m *Model) InputShape() []int {
	return []int{m.Input.Height, m.Input.Width, m.Input.Channels}
}

// Validate checks that the graph is consistent: known layer types, positive
// shapes, every referenced tensor present, and labels matching the head.
func (m *Model) Validate() error {
	if m.Input.Height <= 0 || m.Input.Width <= 0 || m.Input.Channels <= 0 {
		return fmt.Errorf("model %q: input shape %dx%dx%d is not positive", m.Name, m.Input.Height, m.Input.Width, m.Input.Channels)
	}
	if len(m.Layers) == 0 {
		return fmt.Errorf("model %q: no layers", m.Name)
	}
	if len(m.Labels) < 2 {
		return fmt.Errorf("model %q: %d labels, need at least 2", m.Name, len(m.Labels))
	}
	switch m.DType {
	case Float32, Float16, Int8:
	default:
		return fmt.Errorf("model %q: unknown model dtype %q", m.Name, m.DType)
	}
	for i, l := range m.Layers {
		switch l.Type {
		case Conv2D, MaxPool2D, AveragePooling2D, GlobalAveragePooling2D, Dense, Flatten, Dropout, BatchNormalization,
			DepthwiseConv2D, SeparableConv2D, Add, ReLULayer:
		default:
			return fmt.Errorf("model %q: layer %d (%s): unknown type %q", m.Name, i, l.Name, l.Type)
		}
		if len(l.OutputShape) == 0 {
			return fmt.Errorf("model %q: layer %d (%s): no output shape", m.Name, i, l.Name)
		}
		for _, d := range l.OutputShape {
			if d <= 0 || d > 1<<20 {
				return fmt.Errorf("model %q: layer %d (%s): bad output shape %v", m.Name, i, l.Name, l.OutputShape)
			}
		}
		for _, w := range l.Weights {
			if _, err := m.Tensor(w); err != nil {
				return fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
			}
		}
		if q := l.Quant; q != nil {
			for _, w := range []string{q.Weights, q.WeightScales, q.Bias, q.Multiplier, q.Shift} {
				if w == "" {
					continue
				}
				if _, err := m.Tensor(w); err != nil {
					return fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
				}
			}
		}
	}
	if err := m.checkGraph(); err != nil {
		return err
	}
	out := m.Layers[len(m.Layers)-1].OutputShape
	n := out[len(out)-1]
	if !(n == len(m.Labels) || (n == 1 && len(m.Labels) == 2)) {
		return fmt.Errorf("model %q: head has %d outputs for %d labels", m.Name, n, len(m.Labels))
	}
	for _, p := range m.Probes {
		if _, err := m.Tensor(p.Input); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
	}
	return nil
}
