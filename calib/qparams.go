package calib

import "math"

// Params returns the int8 scale and zero point that cover [lo, hi] (TFLite's
// ChooseQuantizationParams): the range is first widened to contain 0, so that
// 0 is exactly representable (padding and ReLU depend on it); scale =
// (hi-lo)/255 and the zero point is rounded and clamped to [-128, 127]. An
// empty range (a tensor that is always 0) gets scale 1/255 and zero point -128.
func Params(lo, hi float64) (scale float32, zeroPoint int32) {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if hi-lo < 1e-12 {
		return 1.0 / 255, -128
	}
	s := (hi - lo) / 255
	zp := math.Round(-128 - lo/s)
	zp = math.Max(-128, math.Min(127, zp))
	return float32(s), int32(zp)
}
