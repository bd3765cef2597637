// Package infer is the fixed-memory runtime: it loads an int8 (or float32 /
// float16) .ecnn model, checks the graph (shapes chain, tensors match the
// layers, quantisation parameters in range), plans every byte it will need
// at load time and then classifies frames without allocating:
//
//   - one arena for all activations, placed greedily by size over the
//     tensors' lifetimes (TFLite Micro's GreedyMemoryPlanner); Summary
//     reports it against the lower bound and the naive plan;
//   - im2col scratch per worker, and weights used in place from the model's
//     bytes when they are packed for this build's kernels (else repacked
//     once);
//   - a fixed pool of Options.Threads workers that split each layer's output
//     rows; results do not depend on the thread count.
//
// A frame of any size is resized as in training (package preprocess), scaled
// and quantised in one pass straight into the arena through a 256-entry
// table. The int8 head is dequantised for a sigmoid or softmax in float32.
//
//	rt, err := infer.LoadFile("model.q8.ecnn", infer.Options{Threads: 2})
//	...
//	res, err := rt.ClassifyRGB(frame, 640, 480) // res.Label, res.Probability
//
// The pure-Go reference operators in *_ref.go are the specification of the
// int8 semantics (TFLite's int8 scheme, see DESIGN.md); the tests require the
// runtime's kernels to agree with them bit for bit.
package infer
