package quantize

import (
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// MaxSQNR caps signal-to-quantisation-noise ratios (dB) when the error is
// zero, so figures stay finite numbers in JSON.
const MaxSQNR = 150

// SQNR is 10*log10(signal/noise) in dB, given sums of squares of the
// reference values and of the errors; MaxSQNR when there is no error.
func SQNR(signal, noise float64) float64 {
	if noise <= 0 {
		return MaxSQNR
	}
	if signal <= 0 {
		return math.Inf(-1)
	}
	return math.Min(MaxSQNR, 10*math.Log10(signal/noise))
}

// Report describes a quantisation, layer by layer.
type Report struct {
	Layers []LayerReport `json:"layers"`
	// FloatWeightBytes and Int8WeightBytes total the layers' weights
	// (int8 includes scales, biases and multipliers).
	FloatWeightBytes int `json:"float_weight_bytes"`
	Int8WeightBytes  int `json:"int8_weight_bytes"`
}

// LayerReport describes one layer of the quantised graph.
type LayerReport struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Merged names the float layers folded into it (BatchNormalization) or
	// removed after it (Dropout).
	Merged     []string          `json:"merged,omitempty"`
	Activation string            `json:"activation"`
	Output     model.QuantParams `json:"output"`
	// Min and Max are the real range the output covers.
	Min float32 `json:"min"`
	Max float32 `json:"max"`
	// Weight figures, for Conv2D and Dense.
	FloatWeightBytes int     `json:"float_weight_bytes,omitempty"`
	Int8WeightBytes  int     `json:"int8_weight_bytes,omitempty"`
	WeightSQNR       float64 `json:"weight_sqnr_db,omitempty"`
}

// weightSQNR compares the dequantised weights with the float ones.
func weightSQNR(f *floatLayer, q *int8Layer) float64 {
	var sig, noise float64
	for c := range f.oc {
		for k := range f.k {
			v := f.w[c*f.k+k]
			d := v - q.dequantized(c, k)
			sig += v * v
			noise += d * d
		}
	}
	return SQNR(sig, noise)
}
