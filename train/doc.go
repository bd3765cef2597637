// Package train is the workstation trainer: float32 Keras-style Sequential
// convnets on NHWC batches, trained with Keras' semantics and defaults.
//
// Layers: Conv2D (kernel, strides, padding same/valid, fused activation),
// MaxPool2D and AveragePooling2D (default 2x2, stride = pool size, valid),
// GlobalAveragePooling2D, Flatten (NHWC order), Dense, Dropout and
// BatchNormalization; activations relu, sigmoid, softmax and linear.
// Weights start as Keras' do (glorot_uniform kernels, zero biases), seeded.
// Losses are binary cross-entropy on a sigmoid unit and sparse categorical
// cross-entropy on a softmax, both on probabilities clipped by Keras'
// epsilon 1e-7; optimisers Adam (Keras' update) and SGD with momentum.
//
// Convolutions and dense layers run as im2col + a cache-blocked SGEMM
// (internal/sgemm). Every batch is split over the workers by fixed
// partitions of its samples and every reduction adds the workers' partial
// sums in worker order, so the same seed and thread count reproduce a
// training run bit for bit.
package train
