// Package quantize turns a float32 model and its calibration table into an
// int8 model following DESIGN.md's scheme (TFLite's int8 spec):
//
//   - BatchNormalization directly after a linear Conv2D, DepthwiseConv2D or
//     Dense (its only reader) is folded into it: w' = w*a,
//     b' = (b-mean)*a + beta with a = gamma/sqrt(var+eps). A
//     BatchNormalization anywhere else (for example after a ReLU) cannot be
//     folded exactly and is refused.
//   - Dropout is removed (it is the identity at inference).
//   - ReLU and ReLU6 (an activation or a ReLU layer after a convolution,
//     Dense or Add) are fused as clamps: ActMin is the output zero point,
//     ReLU6's ActMax the value nearest 6.
//   - Conv2D/Dense weights are symmetric per output channel in [-127, 127]
//     (scale max|w|/127), reordered to [OC][K] (K = KH*KW*IC in HWC order)
//     and packed with kernel.Pack; DepthwiseConv2D weights likewise per
//     channel over its KH*KW taps (as TFLite), packed with
//     kernel.PackDepthwise.
//   - Add keeps its own output scale and zero point from the table; the
//     runtime derives TFLite's fixed-point rescaling (kernel.NewAddParams)
//     from its inputs' and output's.
//   - In a graph, each quantised layer names the quantised layers it reads
//     (folded and fused layers take the name of the layer they joined).
//   - Biases are int32 with scale in_scale*w_scale[c], and the input zero
//     point's contribution folded in: round(b/(s_in*s_w)) - zp_in*sum_k q[c][k].
//   - Each output channel's requantisation s_in*s_w[c]/s_out is a Q31
//     multiplier and shift (kernel.QuantizeMultiplier).
//   - Activations are asymmetric per tensor, with the scale and zero point
//     the calibration table gives; MaxPool2D, AveragePooling2D,
//     GlobalAveragePooling2D and Flatten keep their input's.
//   - A sigmoid or softmax head outputs int8 logits; the runtime dequantises
//     them and applies the activation in float.
//
// Float16 converts a model's weights to float16 instead (computed in float32).
package quantize
