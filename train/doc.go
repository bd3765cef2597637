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
//
// # Spec files
//
// FromSpecFile reads a spec file that describes any Sequential model of
// this package's layers, in YAML or JSON (JSON is read as YAML), for
// example:
//
//	name: small-net
//	layers:
//	  - type: Conv2D
//	    filters: 32
//	    kernel_size: 3        # or [3, 3]
//	    strides: 1            # default 1
//	    padding: same         # same or valid (default, as Keras)
//	    activation: relu      # relu, sigmoid, softmax or linear (default)
//	  - type: MaxPool2D       # pool_size 2, strides = pool_size, padding valid
//	  - type: BatchNormalization   # epsilon 0.001, momentum 0.99
//	  - type: GlobalAveragePooling2D
//	  - type: Dense
//	    units: 1
//	    activation: sigmoid
//
// Errors name the file, the line and the field. Layer types (case and
// underscores ignored): Conv2D, MaxPool2D
// (MaxPooling2D), AveragePooling2D (AvgPool2D), GlobalAveragePooling2D,
// Flatten, Dense, Dropout (rate), BatchNormalization. The input shape comes
// from the command line (--image-size). The last layer must be Dense(1,
// sigmoid) for two classes or Dense(classes, softmax). See
// testdata/small-net.yaml and testdata/seed-exercise.json.
package train
