// Package train is the workstation trainer: float32 Keras-style convnets on
// NHWC batches, Sequential stacks or graphs with branches and Add (Keras'
// Functional models), trained with Keras' semantics and defaults.
//
// Layers: Conv2D (kernel, strides, padding same/valid, fused activation,
// optional bias), DepthwiseConv2D (depth multiplier 1), SeparableConv2D
// (depthwise then pointwise, one bias), MaxPool2D and AveragePooling2D
// (default 2x2, stride = pool size, valid), GlobalAveragePooling2D, Flatten
// (NHWC order), Dense, Dropout, BatchNormalization, ReLU (max_value: ReLU6)
// and Add; activations relu, relu6, sigmoid, softmax and linear. Presets:
// the Keras course's seed-tutorial and seed-exercise, and Keras' MobileNet
// (mobilenet-v1) and MobileNetV2 (mobilenet-v2) with a width multiplier.
// Weights start as Keras' do (glorot_uniform kernels, zero biases), seeded.
// Losses are binary cross-entropy on a sigmoid unit and sparse categorical
// cross-entropy on a softmax, both on probabilities clipped by Keras'
// epsilon 1e-7; optimisers Adam (Keras' update) and SGD with momentum.
// BatchNormalization keeps Keras' moving averages; FitOptions.RecalibrateBN
// replaces them after every epoch by the exact statistics over training
// batches ("precise BN"), since MobileNetV2's momentum 0.999 lags a short
// run's weights so far that validation can sit at chance.
//
// Convolutions and dense layers run as im2col + a cache-blocked SGEMM
// (internal/sgemm); depthwise convolutions, BatchNormalization and ReLU6 on
// internal/vec's loops. Every batch is split over the workers by fixed
// partitions of its samples and every reduction adds the workers' partial
// sums in worker order, so the same seed and thread count reproduce a
// training run bit for bit.
//
// # Spec files
//
// FromSpecFile reads a spec file that describes a model of this package's
// layers, in YAML or JSON (JSON is read as YAML), for example:
//
//	name: small-net
//	layers:
//	  - type: Conv2D
//	    filters: 32
//	    kernel_size: 3        # or [3, 3]
//	    strides: 1            # default 1
//	    padding: same         # same or valid (default, as Keras)
//	    activation: relu      # relu, relu6, sigmoid, softmax or linear (default)
//	  - type: MaxPool2D       # pool_size 2, strides = pool_size, padding valid
//	  - type: BatchNormalization   # epsilon 0.001, momentum 0.99
//	    name: bn1             # optional: default is Keras' automatic name
//	  - {type: DepthwiseConv2D, kernel_size: 3, padding: same, use_bias: false}
//	  - {type: ReLU, max_value: 6}
//	  - {type: Conv2D, filters: 32, kernel_size: 1, name: project}
//	  - {type: Add, inputs: [bn1, project]}   # a residual connection
//	  - type: GlobalAveragePooling2D
//	  - type: Dense
//	    units: 1
//	    activation: sigmoid
//
// A layer takes the layer before it unless it names its inputs ("input" is
// the model input); a layer may only name layers before it, and every
// layer but the last must feed another.
// Errors name the file, the line and the field. Layer types (case and
// underscores ignored): Conv2D, DepthwiseConv2D, SeparableConv2D
// (use_bias, depth_multiplier 1), MaxPool2D (MaxPooling2D),
// AveragePooling2D (AvgPool2D), GlobalAveragePooling2D, Flatten, Dense,
// Dropout (rate), BatchNormalization, ReLU (max_value), Add. The input shape comes
// from the command line (--image-size). The last layer must be Dense(1,
// sigmoid) for two classes or Dense(classes, softmax). See
// testdata/small-net.yaml, testdata/residual-net.yaml and
// testdata/seed-exercise.json.
package train
