// Package parity compares a quantised (int8, or float16) model with the
// float32 model it came from on a labelled dataset: accuracy of both, top-1
// agreement, per-class recall, probability differences, and per-layer
// signal-to-quantisation-noise ratio and cosine similarity of the
// activations. The float side runs train's network (train.FromModel,
// Predict); the quantised side runs the device runtime (infer.ClassifyRGB)
// on the very same uint8 images at the model's input size, so no resizing
// differs between them.
//
// A Budget says how much the quantised model may lose; Check turns a
// Result into an error naming what broke the budget and the layers with the
// worst error. AddProbes stores a few images and the runtime's outputs for
// them in a model, so a device can check itself after install.
package parity
