// Package infer is the fixed-memory runtime: it loads an int8 (or float32 /
// float16) .ecnn model, checks the graph (shapes agree along every edge,
// tensors match the layers, quantisation parameters in range), plans every
// byte it will need at load time and then classifies frames without
// allocating. Graphs may branch (Add, layers naming their inputs); layers
// run in the model's topological order.
//
//   - one arena for all activations, placed greedily by size over the
//     tensors' lifetimes (from the layer that writes a tensor to its last
//     reader, so a residual's input stays alive until its Add; TFLite
//     Micro's GreedyMemoryPlanner); Summary reports it against the lower
//     bound and the naive plan;
//   - im2col and depthwise scratch per worker (1x1 stride-1 convolutions
//     need none: one GEMM on the NHWC activation), and weights used in
//     place from the model's bytes when they are packed for this build's
//     kernels (else repacked once);
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
