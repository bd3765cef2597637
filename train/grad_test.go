package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// forwardFixed runs a training-mode forward pass without drawing new
// Dropout seeds, so repeated evaluations see the same mask.
func forwardFixed(n *Sequential, x []float32, batch int) []float32 {
	return n.run(x, batch, true, nil)
}

// weightedSum is the test loss L = sum_i out_i * r_i, in float64.
func weightedSum(out, r []float32) float64 {
	var s float64
	for i, v := range out {
		s += float64(v) * float64(r[i])
	}
	return s
}

// checkGrad compares the analytic gradient g of L with respect to v with
// central finite differences (step h) at up to 40 coordinates.
func checkGrad(t *testing.T, what string, v, g []float32, h float64, loss func() float64, rng *rand.Rand) {
	t.Helper()
	idx := rng.Perm(len(v))
	if len(idx) > 40 {
		idx = idx[:40]
	}
	for _, i := range idx {
		orig := v[i]
		v[i] = orig + float32(h)
		up := loss()
		v[i] = orig - float32(h)
		down := loss()
		v[i] = orig
		num := (up - down) / (2 * h)
		ana := float64(g[i])
		tol := 1e-3 + 1e-2*math.Max(math.Abs(num), math.Abs(ana))
		require.InDelta(t, num, ana, tol, "%s[%d]: numeric %g, analytic %g", what, i, num, ana)
	}
}

// gradCase builds a one- or few-layer network on input in and checks the
// gradients of every trainable weight and of the input.
func gradCase(t *testing.T, name string, in shape, layers []layer, input func(rng *rand.Rand, x []float32)) {
	nodes := make([]node, len(layers))
	for i, l := range layers {
		nodes[i] = node{l: l}
	}
	gradGraph(t, name, in, nodes, input)
}

// gradGraph is gradCase for a graph.
func gradGraph(t *testing.T, name string, in shape, nodes []node, input func(rng *rand.Rand, x []float32)) {
	t.Run(name, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, uint64(len(name))))
		n, err := newGraph(name, in.H, in.W, in.C, nodes)
		require.NoError(t, err)
		n.SetThreads(2)
		const batch = 3
		n.ensure(batch)
		// Non-default BN parameters so gamma and beta matter.
		for _, p := range n.params() {
			if p.name == "gamma" || p.name == "beta" {
				for i := range p.value {
					p.value[i] = rng.Float32() + 0.5
				}
			}
		}
		x := make([]float32, batch*in.size())
		input(rng, x)
		outSize := n.Outputs() * batch
		r := make([]float32, outSize)
		for i := range r {
			r[i] = rng.Float32()*2 - 1
		}
		// A dropout seed fixed for the whole check.
		n.forward(x, batch, true, nil)
		forwardFixed(n, x, batch)
		copy(n.grads[len(n.layers)-1], r)
		dx := make([]float32, len(x))
		for i := range dx {
			dx[i] = float32(math.NaN()) // backward must overwrite every input gradient
		}
		n.backward(x, batch, dx)

		loss := func() float64 { return weightedSum(forwardFixed(n, x, batch), r) }
		for li, l := range n.layers {
			for _, p := range l.info().params {
				if p.trainable {
					checkGrad(t, fmt.Sprintf("layer %d %s", li, p.name), p.value, append([]float32(nil), p.grad...), 1e-2, loss, rng)
				}
			}
		}
		checkGrad(t, "input", x, dx, 1e-2, loss, rng)
	})
}

func uniform(rng *rand.Rand, x []float32) {
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
}

// distinct fills x with a shuffled ramp of values 0.1 apart, so no max-pool
// window has near ties that a finite-difference step could swap.
func distinct(rng *rand.Rand, x []float32) {
	for i, j := range rng.Perm(len(x)) {
		x[i] = float32(j)*0.1 - float32(len(x))*0.05
	}
}

func TestGradients(t *testing.T) {
	sp := func(h, w, c int) shape { return shape{H: h, W: w, C: c} }
	// Vector inputs: a 1x1xC image through Flatten.
	vec := func(c int) shape { return shape{H: 1, W: 1, C: c} }
	flat := func() layer { return &flatten{layerInfo{kind: model.Flatten}} }
	gradCase(t, "conv same k3 linear", sp(5, 6, 2), []layer{newConv2D(4, 3, 3, 1, 1, model.Same, model.Linear)}, uniform)
	gradCase(t, "conv valid k3x2 stride2 sigmoid", sp(7, 6, 3), []layer{newConv2D(3, 3, 2, 2, 2, model.Valid, model.Sigmoid)}, uniform)
	gradCase(t, "conv same k4 stride2 linear", sp(7, 5, 2), []layer{newConv2D(5, 4, 4, 2, 2, model.Same, model.Linear)}, uniform)
	gradCase(t, "conv 1x1", sp(3, 4, 5), []layer{newConv2D(3, 1, 1, 1, 1, model.Valid, model.Linear)}, uniform)
	gradCase(t, "conv softmax over channels", sp(3, 3, 2), []layer{newConv2D(4, 3, 3, 1, 1, model.Same, model.Softmax)}, uniform)
	gradCase(t, "maxpool 2x2 valid", sp(5, 4, 3), []layer{newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid)}, distinct)
	gradCase(t, "maxpool 2x2 valid, odd width, 8 channels", sp(4, 5, 8), []layer{newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid)}, distinct)
	gradCase(t, "maxpool 2x2 same, 16 channels", sp(4, 6, 16), []layer{newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Same)}, distinct)
	gradCase(t, "maxpool 3x3 stride2 same", sp(5, 6, 2), []layer{newPool2D(model.MaxPool2D, 3, 3, 2, 2, model.Same)}, distinct)
	gradCase(t, "avgpool 3x3 stride2 same", sp(5, 6, 2), []layer{newPool2D(model.AveragePooling2D, 3, 3, 2, 2, model.Same)}, uniform)
	gradCase(t, "avgpool 2x2 valid", sp(4, 5, 2), []layer{newPool2D(model.AveragePooling2D, 2, 2, 2, 2, model.Valid)}, uniform)
	gradCase(t, "global average pooling + dense", sp(3, 4, 5), []layer{&globalAvgPool{layerInfo: layerInfo{kind: model.GlobalAveragePooling2D}}, newDense(3, model.Linear)}, uniform)
	gradCase(t, "flatten + dense sigmoid", sp(2, 3, 2), []layer{&flatten{layerInfo{kind: model.Flatten}}, newDense(4, model.Sigmoid)}, uniform)
	gradCase(t, "dense softmax", vec(7), []layer{flat(), newDense(5, model.Softmax)}, uniform)
	gradCase(t, "dense relu (fused epilogue)", vec(9), []layer{flat(), newDense(20, model.ReLU)}, uniform)
	gradCase(t, "dense linear", vec(9), []layer{flat(), newDense(4, model.Linear)}, uniform)
	gradCase(t, "batchnorm spatial training", sp(3, 3, 4), []layer{newBatchNorm(1e-3, 0.99)}, uniform)
	gradCase(t, "conv + batchnorm", sp(4, 4, 2), []layer{newConv2D(3, 3, 3, 1, 1, model.Same, model.Linear), newBatchNorm(1e-3, 0.99)}, uniform)
	gradCase(t, "batchnorm vector training", vec(6), []layer{flat(), newBatchNorm(1e-3, 0.99), newDense(2, model.Linear)}, uniform)
	gradCase(t, "dropout training", vec(40), []layer{flat(), newDropout(0.5), newDense(3, model.Linear)}, uniform)

	noBias := func(c *conv2D) *conv2D { c.noBias = true; return c }
	gradCase(t, "conv same k3 stride2 no bias", sp(7, 8, 3), []layer{noBias(newConv2D(4, 3, 3, 2, 2, model.Same, model.Linear))}, uniform)
	gradCase(t, "depthwise 3x3 same stride1", sp(5, 6, 3), []layer{newDepthwise(3, 3, 1, 1, model.Same, model.Linear, false)}, uniform)
	gradCase(t, "depthwise 3x3 same stride2 no bias", sp(7, 6, 4), []layer{newDepthwise(3, 3, 2, 2, model.Same, model.Linear, true)}, uniform)
	gradCase(t, "depthwise 3x3 valid stride2", sp(7, 8, 2), []layer{newDepthwise(3, 3, 2, 2, model.Valid, model.Sigmoid, false)}, uniform)
	gradCase(t, "depthwise 5x5 same stride1", sp(6, 5, 3), []layer{newDepthwise(5, 5, 1, 1, model.Same, model.Linear, false)}, uniform)
	gradCase(t, "depthwise 5x5 same stride2", sp(8, 7, 2), []layer{newDepthwise(5, 5, 2, 2, model.Same, model.Linear, true)}, uniform)
	gradCase(t, "depthwise 5x5 valid stride1", sp(7, 6, 2), []layer{newDepthwise(5, 5, 1, 1, model.Valid, model.Linear, false)}, uniform)
	gradCase(t, "depthwise + batchnorm", sp(5, 5, 3), []layer{newDepthwise(3, 3, 1, 1, model.Same, model.Linear, true), newBatchNorm(1e-3, 0.99)}, uniform)
	gradCase(t, "separable 3x3 same", sp(5, 6, 3), []layer{newSeparable(4, 3, 3, 1, 1, model.Same, model.Linear, false)}, uniform)
	gradCase(t, "separable 5x5 stride2 no bias + batchnorm", sp(7, 7, 2), []layer{newSeparable(3, 5, 5, 2, 2, model.Same, model.Linear, true), newBatchNorm(1e-3, 0.99)}, uniform)
	gradCase(t, "relu6 layer", sp(3, 4, 2), []layer{newReLULayer(6)}, awayFromKinks)
	gradCase(t, "relu layer", sp(3, 4, 2), []layer{newReLULayer(0)}, awayFromKinks)
	gradCase(t, "dense relu6", vec(9), []layer{flat(), newDense(5, model.ReLU6)}, func(rng *rand.Rand, x []float32) {
		for i := range x {
			x[i] = (rng.Float32()*2 - 1) * 8
		}
	})
	gradCase(t, "global average pooling", sp(3, 4, 5), []layer{&globalAvgPool{layerInfo: layerInfo{kind: model.GlobalAveragePooling2D}}}, uniform)

	// A residual graph: the model input and conv "c1" each feed several
	// layers, so their gradients are sums.
	gradGraph(t, "residual graph", sp(4, 5, 3), []node{
		{l: newConv2D(3, 3, 3, 1, 1, model.Same, model.Linear), name: "c1"},
		{l: newDepthwise(3, 3, 1, 1, model.Same, model.Linear, false), name: "d"},
		{l: newAdd(), name: "add1", inputs: []string{"c1", "d"}},
		{l: newAdd(), name: "add2", inputs: []string{model.InputName, "add1"}},
		{l: newBatchNorm(1e-3, 0.99), name: "bn"},
		{l: newAdd(), name: "add3", inputs: []string{"bn", "c1", "c1"}},
	}, uniform)
}

// awayFromKinks fills x with distinct values in about [-9, 9] that are at
// least 0.1 from ReLU6's kinks at 0 and 6.
func awayFromKinks(rng *rand.Rand, x []float32) {
	for i, j := range rng.Perm(len(x)) {
		x[i] = (float32(j)-float32(len(x)/2))*0.25 + 0.125
	}
}

// TestReLUGradient checks relu's derivative away from its kink.
func TestReLUGradient(t *testing.T) {
	z := []float32{-2, -0.5, -0.1, 0.1, 0.7, 3}
	y := make([]float32, len(z))
	for i, v := range z {
		y[i] = max(v, 0)
	}
	dy := []float32{1, 2, 3, 4, 5, 6}
	activation(model.ReLU).backward(dy, y, 3)
	for i, v := range z {
		want := float32(0)
		if v > 0 {
			want = float32(i + 1)
		}
		require.Equal(t, want, dy[i], "z=%g", v)
	}
}

// TestLossGradients compares both losses' gradients with finite differences
// of the loss in the probabilities, and checks the clipping.
func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Binary: 5 samples of one probability.
	p := []float32{0.1, 0.35, 0.5, 0.8, 0.97}
	y := []int32{0, 1, 1, 0, 1}
	g := make([]float32, len(p))
	lossAndGrad(BinaryCrossentropy, p, 1, y, g)
	mean := func() float64 { s, _ := lossAndGrad(BinaryCrossentropy, p, 1, y, nil); return s / float64(len(y)) }
	checkGrad(t, "bce", p, g, 1e-3, mean, rng)

	// Categorical: 3 samples of 4 probabilities.
	pc := []float32{0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1, 0.25, 0.25, 0.25, 0.25}
	yc := []int32{3, 0, 2}
	gc := make([]float32, len(pc))
	lossAndGrad(SparseCategoricalCrossentropy, pc, 4, yc, gc)
	meanC := func() float64 {
		s, _ := lossAndGrad(SparseCategoricalCrossentropy, pc, 4, yc, nil)
		return s / float64(len(yc))
	}
	checkGrad(t, "scce", pc, gc, 1e-3, meanC, rng)

	// Keras clipping: a certain wrong answer costs -log(eps+eps)... and has no gradient.
	s, correct := lossAndGrad(BinaryCrossentropy, []float32{1}, 1, []int32{0}, g[:1])
	require.InDelta(t, -math.Log(1-(1-lossEpsilon)+lossEpsilon), s, 1e-6)
	require.Equal(t, 0, correct)
	require.Zero(t, g[0])
	_, correct = lossAndGrad(SparseCategoricalCrossentropy, pc, 4, yc, nil)
	require.Equal(t, 2, correct) // argmax 3 and 0 right; a four-way tie picks 0, not 2
}

// TestBatchNormMovingStatistics: after many training passes over one
// batch, the moving statistics equal the batch's, so inference gives the
// training-mode output.
func TestBatchNormMovingStatistics(t *testing.T) {
	n, err := newSequential("bn", 3, 3, 4, []layer{newBatchNorm(1e-3, 0.9)})
	require.NoError(t, err)
	n.SetThreads(2)
	x := randomInput(n, 5, 9)
	for i := range x {
		x[i] = x[i]*3 + float32(i%4) // per-channel offsets
	}
	var train []float32
	for range 300 {
		train = append(train[:0], n.forward(x, 5, true, nil)...)
	}
	infer := n.Predict(x, 5)
	for i := range train {
		require.InDelta(t, train[i], infer[i], 1e-3, "value %d", i)
	}
}

// TestReLUGradientInPool: moving ReLU's gradient from a convolution into
// the 2x2 max pool after it (fuseReLUGradients) gives bit-identical
// gradients of every weight and of the input.
func TestReLUGradientInPool(t *testing.T) {
	build := func() *Sequential {
		n, err := newSequential("relu-pool", 8, 10, 3, []layer{
			newConv2D(8, 3, 3, 1, 1, model.Same, model.ReLU),
			newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid),
			newConv2D(16, 3, 3, 1, 1, model.Same, model.ReLU),
			newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid),
			&flatten{layerInfo{kind: model.Flatten}},
			newDense(3, model.Linear),
		})
		require.NoError(t, err)
		n.SetThreads(2)
		return n
	}
	gradients := func(n *Sequential) [][]float32 {
		const batch = 4
		x := randomInput(n, batch, 5)
		n.forward(x, batch, true, nil)
		r := rand.New(rand.NewPCG(9, 9))
		for i := range n.grads[len(n.layers)-1][:batch*n.Outputs()] {
			n.grads[len(n.layers)-1][i] = r.Float32()*2 - 1
		}
		dx := make([]float32, len(x))
		n.backward(x, batch, dx)
		out := [][]float32{dx}
		for _, p := range n.params() {
			out = append(out, append([]float32(nil), p.grad...))
		}
		return out
	}
	fused, plain := build(), build()
	require.True(t, fused.layers[0].(*conv2D).reluInPool && fused.layers[3].(*pool2D).reluInput)
	for _, l := range plain.layers {
		switch l := l.(type) {
		case *conv2D:
			l.reluInPool = false
		case *pool2D:
			l.reluInput = false
		}
	}
	want, got := gradients(plain), gradients(fused)
	for i := range want {
		require.Equal(t, want[i], got[i], "gradient %d", i)
	}
	var zeros int
	for _, v := range got[1] {
		if v == 0 {
			zeros++
		}
	}
	require.Less(t, zeros, len(got[1]), "the first kernel's gradient is not all zero")
}
