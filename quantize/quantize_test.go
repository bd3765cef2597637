package quantize

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/model"
)

func randomInput(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(r.IntN(256)) / 255
	}
	return x
}

func TestFoldBatchNormMatchesConvThenBN(t *testing.T) {
	m := testModel(1)
	f := firstFloatLayer(t, m)

	x := randomInput(6*6*3, 1)
	want := refConv(x, 6, 6, 3, tensor(m, "conv2d/kernel"), tensor(m, "conv2d/bias"), 3, 3, 4)
	refBatchNorm(want, tensor(m, "bn/gamma"), tensor(m, "bn/beta"), tensor(m, "bn/moving_mean"), tensor(m, "bn/moving_variance"), 1e-3)
	got := foldedConv(x, 6, 6, 3, f, 3, 3)
	require.InDeltaSlice(t, want, got, 1e-9)
}

func TestPlanFoldsAndDrops(t *testing.T) {
	steps, err := Plan(testModel(1))
	require.NoError(t, err)
	require.Equal(t, []Step{
		{Layer: 0, BatchNorm: 1, ReLU: -1, Output: 1, Activation: model.Linear, Inputs: []int{InputStep}},
		{Layer: 2, BatchNorm: -1, ReLU: -1, Output: 2, Activation: model.Linear, Dropped: []int{3}, Inputs: []int{0}},
		{Layer: 4, BatchNorm: -1, ReLU: -1, Output: 4, Activation: model.Linear, Inputs: []int{1}},
		{Layer: 5, BatchNorm: -1, ReLU: -1, Output: 5, Activation: model.ReLU, Inputs: []int{2}},
		{Layer: 6, BatchNorm: -1, ReLU: -1, Output: 6, Activation: model.Softmax, Inputs: []int{3}},
	}, steps)
}

func TestQuantizeGraph(t *testing.T) {
	m := testModel(1)
	q, rep, err := Quantize(m, testTable(m), Options{Source: "test.ecnn"})
	require.NoError(t, err)
	require.Equal(t, model.Int8, q.DType)
	require.Equal(t, &model.QuantParams{Scale: 1.0 / 255, ZeroPoint: -128}, q.InputQuant)
	var names []string
	for _, l := range q.Layers {
		names = append(names, l.Name)
		require.Empty(t, l.Weights, "%s keeps no float weights", l.Name)
	}
	require.Equal(t, []string{"conv2d", "pool", "flatten", "dense", "head"}, names)

	conv, pool, flat, dense, head := q.Layers[0].Quant, q.Layers[1].Quant, q.Layers[2].Quant, q.Layers[3].Quant, q.Layers[4].Quant
	bn, _ := testTable(m).Params("bn")
	require.Equal(t, bn, conv.Output, "the folded conv outputs the BatchNormalization's tensor")
	require.Equal(t, [2]int32{-128, 127}, [2]int32{conv.ActMin, conv.ActMax})
	require.Equal(t, conv.Output, pool.Output, "MaxPool keeps its input's parameters")
	require.Equal(t, conv.Output, flat.Output)
	require.Equal(t, [2]int32{-128, 127}, [2]int32{pool.ActMin, pool.ActMax})
	tab := testTable(m)
	tab.Entries[4] = calib.NewEntry("dense", -0.2, 5)
	q2, _, err := Quantize(m, tab, Options{})
	require.NoError(t, err)
	require.Equal(t, model.ReLU, q2.Layers[3].Activation)
	require.Equal(t, q2.Layers[3].Quant.Output.ZeroPoint, q2.Layers[3].Quant.ActMin, "ReLU is a clamp at the zero point")
	require.Greater(t, q2.Layers[3].Quant.ActMin, int32(-128))
	require.Equal(t, int32(127), dense.ActMax)
	require.Equal(t, model.Softmax, q.Layers[4].Activation)
	require.Equal(t, [2]int32{-128, 127}, [2]int32{head.ActMin, head.ActMax}, "the head's logits are not clamped")
	require.Equal(t, kernel.Layout, conv.WeightLayout)

	w, err := q.Tensor(conv.Weights)
	require.NoError(t, err)
	require.Equal(t, []int{kernel.PackedLen(4, 27)}, w.Shape)
	require.Contains(t, q.Provenance.Source, "test.ecnn")
	require.Equal(t, "minmax, 1 samples, seed 0", q.Provenance.Calib)

	require.Len(t, rep.Layers, 5)
	require.Equal(t, []string{"bn"}, rep.Layers[0].Merged)
	require.Equal(t, []string{"dropout"}, rep.Layers[1].Merged)
	require.Greater(t, rep.Layers[0].WeightSQNR, 30.0)
	require.Equal(t, 4*(108+4+4*4), rep.Layers[0].FloatWeightBytes)
	require.Equal(t, rep.Layers[0].Int8WeightBytes, kernel.PackedLen(4, 27)+4*4*4, "packed weights, scales, biases, multipliers, shifts")

	// The int8 model survives the file format.
	b, err := model.Encode(q)
	require.NoError(t, err)
	_, err = model.Decode(b)
	require.NoError(t, err)
}

// Every weight dequantises to within half a step of its (folded) float
// value, values stay in [-127, 127], and each channel uses its full range.
func TestWeightsWithinHalfStep(t *testing.T) {
	f := firstFloatLayer(t, testModel(2))
	in := model.QuantParams{Scale: 1.0 / 255, ZeroPoint: -128}
	out := model.QuantParams{Scale: 4.0 / 255, ZeroPoint: -128}
	q, err := quantizeLayer(f, in, out)
	require.NoError(t, err)
	for c := range q.oc {
		s := float64(q.scales[c])
		peak := 0
		for k := range q.k {
			v := int(q.w[c*q.k+k])
			require.LessOrEqual(t, v, 127)
			require.GreaterOrEqual(t, v, -127)
			peak = max(peak, v, -v)
			require.LessOrEqual(t, math.Abs(f.w[c*q.k+k]-q.dequantized(c, k)), s/2*(1+1e-6), "channel %d weight %d", c, k)
		}
		require.Equal(t, 127, peak, "channel %d does not use its full range", c)
	}
}

// Each channel's multiplier and shift reproduce s_in*s_w/s_out to Q31
// precision; the bias carries the input zero point's contribution.
func TestMultipliersAndBias(t *testing.T) {
	f := firstFloatLayer(t, testModel(3))
	in := model.QuantParams{Scale: 1.0 / 255, ZeroPoint: -128}
	out := model.QuantParams{Scale: 0.0173, ZeroPoint: -100}
	q, err := quantizeLayer(f, in, out)
	require.NoError(t, err)
	for c := range q.oc {
		real := float64(in.Scale) * float64(q.scales[c]) / float64(out.Scale)
		mult := q.mult[c]
		require.GreaterOrEqual(t, mult, int32(1<<30))
		got := float64(mult) * math.Pow(2, float64(q.shift[c])-31)
		require.InEpsilon(t, real, got, 1.0/(1<<30))

		sum := int64(0)
		for k := range q.k {
			sum += int64(q.w[c*q.k+k])
		}
		plain := math.Round(f.bias[c] / (float64(in.Scale) * float64(q.scales[c])))
		require.Equal(t, int64(plain)-int64(in.ZeroPoint)*sum, int64(q.bias[c]))
	}
}

// Running the quantised conv with the int8 kernel on a quantised image
// reproduces the float conv+BN to within the quantisation error.
func TestInt8ConvMatchesFloat(t *testing.T) {
	m := testModel(4)
	q, _, err := Quantize(m, testTable(m), Options{})
	require.NoError(t, err)
	lq := q.Layers[0].Quant
	in := *q.InputQuant

	pixels := make([]int8, 6*6*3)
	x := make([]float64, len(pixels))
	r := rand.New(rand.NewPCG(4, 4))
	for i := range pixels {
		p := r.IntN(256)
		pixels[i] = int8(p - 128)
		x[i] = float64(p) / 255
	}
	want := refConv(x, 6, 6, 3, tensor(m, "conv2d/kernel"), tensor(m, "conv2d/bias"), 3, 3, 4)
	refBatchNorm(want, tensor(m, "bn/gamma"), tensor(m, "bn/beta"), tensor(m, "bn/moving_mean"), tensor(m, "bn/moving_variance"), 1e-3)

	wq, _ := q.Tensor(lq.Weights)
	packed, _ := wq.Int8s()
	ints := func(name string) []int32 {
		tt, err := q.Tensor(name)
		require.NoError(t, err)
		v, err := tt.Int32s()
		require.NoError(t, err)
		return v
	}
	rq := &kernel.Requant{Bias: ints(lq.Bias), Multiplier: ints(lq.Multiplier), Shift: ints(lq.Shift),
		OutZero: lq.Output.ZeroPoint, ActMin: lq.ActMin, ActMax: lq.ActMax}
	s := &kernel.ConvShape{H: 6, W: 6, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 6, OW: 6, OC: 4, PadValue: int8(in.ZeroPoint)}
	out := make([]int8, 6*6*4)
	kernel.Conv(out, pixels, s, packed, rq, make([]int8, kernel.ConvScratchLen(s)), 0, 6)

	step := float64(lq.Output.Scale)
	var sumErr float64
	for i, v := range out {
		got := step * float64(int32(v)-lq.Output.ZeroPoint)
		ref := math.Min(math.Max(want[i], step*float64(-128-lq.Output.ZeroPoint)), step*float64(127-lq.Output.ZeroPoint))
		require.InDelta(t, ref, got, 2*step, "output %d", i)
		sumErr += math.Abs(ref - got)
	}
	require.Less(t, sumErr/float64(len(out)), 0.5*step, "mean error above half a step")
}

func TestQuantizeErrors(t *testing.T) {
	m := testModel(1)
	tab := testTable(m)

	nan := testModel(1)
	k, _ := nan.Tensor("dense/kernel")
	v := tensor(nan, "dense/kernel")
	v[7] = float32(math.NaN())
	k.Data = model.NewFloat32(k.Name, k.Shape, v).Data
	_, _, err := Quantize(nan, testTable(nan), Options{})
	require.ErrorContains(t, err, `tensor "dense/kernel" holds NaN at index 7`)

	softmaxInside := testModel(1)
	softmaxInside.Layers[5].Activation = model.Softmax
	_, _, err = Quantize(softmaxInside, testTable(softmaxInside), Options{})
	require.ErrorContains(t, err, "activation softmax is only supported on the last Dense layer")

	_, _, err = Quantize(nan, tab, Options{})
	require.ErrorContains(t, err, "calibration table was made for model")

	reluBN := testModel(1)
	reluBN.Layers[0].Activation = model.ReLU // Keras' Conv2D(activation="relu") then BatchNormalization
	_, _, err = Quantize(reluBN, testTable(reluBN), Options{})
	require.ErrorContains(t, err, "BatchNormalization after a Conv2D with activation relu cannot be folded")

	lone := testModel(1)
	lone.Layers[2], lone.Layers[1] = lone.Layers[1], lone.Layers[2] // BN after MaxPool
	_, _, err = Quantize(lone, testTable(lone), Options{})
	require.ErrorContains(t, err, "layer 2 (bn, BatchNormalization): BatchNormalization can only be folded")

	noInput := testModel(1)
	noInput.Input.Scale = 0
	_, _, err = Quantize(noInput, testTable(noInput), Options{})
	require.ErrorContains(t, err, "has no usable input spec")

	tanh := testModel(1)
	tanh.Layers[5].Activation = "tanh"
	_, _, err = Quantize(tanh, testTable(tanh), Options{})
	require.ErrorContains(t, err, `activation "tanh" is not supported`)

	short := testTable(m)
	short.Entries = short.Entries[:1]
	_, _, err = Quantize(m, short, Options{})
	require.ErrorContains(t, err, `no entry for tensor "bn"`)

	_, _, err = Quantize(must(Quantize(m, tab, Options{})), tab, Options{})
	require.ErrorContains(t, err, "is int8: quantise the float32 model")
}

func must(m *model.Model, _ *Report, err error) *model.Model {
	if err != nil {
		panic(err)
	}
	return m
}

func TestFloat16(t *testing.T) {
	m := testModel(5)
	h, err := Float16(m)
	require.NoError(t, err)
	require.Equal(t, model.Float16, h.DType)
	require.Equal(t, m.Layers, h.Layers)
	for _, tt := range h.Tensors {
		require.Equal(t, model.Float16, tt.DType)
		got, err := tt.Float32s()
		require.NoError(t, err)
		for i, v := range tensor(m, tt.Name) {
			require.InDelta(t, v, got[i], math.Abs(float64(v))/1024+1e-7, "%s[%d]", tt.Name, i) // 10-bit mantissa
		}
	}
	require.Equal(t, model.Float32, m.Tensors[0].DType, "the float32 model is untouched")

	big := testModel(5)
	k, _ := big.Tensor("head/bias")
	k.Data = model.NewFloat32(k.Name, k.Shape, []float32{1e5, 0}).Data
	_, err = Float16(big)
	require.ErrorContains(t, err, `tensor "head/bias": value 100000 at index 0 is beyond float16's range`)
}

func TestSQNR(t *testing.T) {
	require.Equal(t, float64(MaxSQNR), SQNR(1, 0))
	require.InDelta(t, 20, SQNR(100, 1), 1e-12)
	require.Equal(t, calib.InputName, "input")
}
