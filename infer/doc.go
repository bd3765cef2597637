// Package infer is the fixed-memory runtime: it loads an int8 (or float32 /
// float16) .ecnn model, plans every byte it will need at load time (one arena
// sized from tensor lifetimes, im2col scratch per worker, weights used in place
// from the model's bytes) and then classifies frames without allocating.
//
// The pure-Go reference operators in *_ref.go are the specification of the
// int8 semantics (TFLite's int8 scheme, see DESIGN.md); the runtime's kernels
// must agree with them bit for bit.
package infer
