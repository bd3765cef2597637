// Package calib measures the activation ranges of a float model on
// calibration images and chooses, per tensor, the real range [lo, hi] that
// its int8 quantisation will cover (real = scale * (q - zero_point), TFLite's
// asymmetric per-tensor scheme).
//
// Every tensor's values are first scanned for their minimum and maximum.
// Except for MinMax, a second pass fills a histogram of 2*Bins bins laid
// symmetrically over [-A, A], A = max(|min|, |max|), so that zero is a bin
// edge and |x| folds onto Bins bins exactly. Exact zeros (most ReLU outputs)
// are counted apart: zero is always representable without error, so it
// carries no information about where to clip. The methods:
//
//   - MinMax: [min, max] as observed.
//   - Percentile: the p-th percentile of the values (and the (100-p)-th for
//     negative values), zeros included.
//   - Entropy: the threshold T minimising the Kullback-Leibler divergence
//     between the clipped distribution and its quantised version, searched
//     over bin edges as TensorRT, MXNet and ncnn do; see Entropy.
//   - MSE: the range minimising the expected squared error of quantisation
//     (rounding error scale²/12 inside the range, (x-clip)² outside); see MSE.
//
// Two tensors are exempt from the method. The input's range follows from the
// model's preprocessing (pixels p in [0, 255] become p*Scale+Offset), so a
// Scale=1/255 model gets scale 1/255 and zero point -128 (q = p-128). A
// sigmoid or softmax head is calibrated on its logits, with MinMax: clipping
// logits would flatten confident probabilities and could tie classes.
package calib
