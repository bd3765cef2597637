package parity

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/quantize"
)

func TestCompareInt8(t *testing.T) {
	m := bnModel()
	ds := smoothImages(200, 1)
	q := quantized(t, m, ds)
	res, err := Compare(m, q, ds, Options{LayerImages: 50})
	require.NoError(t, err)
	require.Equal(t, 200, res.Images)
	require.GreaterOrEqual(t, res.Agreement, 0.95)
	require.Equal(t, res.Disagreements, int(200*(1-res.Agreement)+0.5))
	require.Less(t, res.MaxAbsDiff, 0.1)
	require.LessOrEqual(t, res.MeanAbsDiff, res.MaxAbsDiff)
	require.Len(t, res.Classes, 2)
	for _, c := range res.Classes {
		require.Equal(t, 100, c.Images)
	}
	// Accuracy is the image-weighted mean of the recalls.
	require.InDelta(t, (res.Classes[0].FloatRecall+res.Classes[1].FloatRecall)/2, res.FloatAccuracy, 1e-12)
	require.InDelta(t, (res.Classes[0].Int8Recall+res.Classes[1].Int8Recall)/2, res.Int8Accuracy, 1e-12)

	var names []string
	for _, l := range res.Layers {
		names = append(names, l.Name)
		require.Greater(t, l.SQNR, 25.0, l.Name)
		require.Greater(t, l.Cosine, 0.99, l.Name)
	}
	require.Equal(t, []string{"conv2d", "max_pooling2d", "flatten", "dense"}, names, "the folded conv is compared with the BatchNormalization's output")
	require.NoError(t, res.Check(Budget{MaxDrop: 100, MinAgreement: 0}))
}

func TestCompareFloat16(t *testing.T) {
	m := bnModel()
	ds := smoothImages(100, 2)
	h, err := quantize.Float16(m)
	require.NoError(t, err)
	res, err := Compare(m, h, ds, Options{LayerImages: 20})
	require.NoError(t, err)
	require.GreaterOrEqual(t, res.Agreement, 0.99)
	require.Less(t, res.MaxAbsDiff, 0.01)
	require.Len(t, res.Layers, len(m.Layers), "a float16 model keeps every layer")
	for _, l := range res.Layers {
		require.Greater(t, l.SQNR, 40.0, l.Name)
	}
}

// Negating the head's int8 weights and bias negates its logits: the
// quantised model then disagrees with the float one on nearly every image,
// and the budget check must say so and blame the head.
func TestBrokenModelBreaksBudget(t *testing.T) {
	m := bnModel()
	ds := smoothImages(100, 3)
	q := quantized(t, m, ds)
	head := q.Layers[len(q.Layers)-1].Quant
	w, err := q.Tensor(head.Weights)
	require.NoError(t, err)
	ws, _ := w.Int8s()
	for i := range ws {
		ws[i] = -ws[i]
	}
	b, _ := q.Tensor(head.Bias)
	bias, _ := b.Int32s()
	for i := range bias {
		bias[i] = -bias[i]
	}
	*b = *model.NewInt32(b.Name, b.Shape, bias)

	res, err := Compare(m, q, ds, Options{LayerImages: 20})
	require.NoError(t, err)
	require.Less(t, res.Agreement, 0.5)
	err = res.Check(DefaultBudget)
	var be *BudgetError
	require.True(t, errors.As(err, &be), "%v", err)
	require.Contains(t, err.Error(), "top-1 agreement")
	require.Equal(t, "dense", be.Worst[0].Name)
	require.True(t, be.Worst[0].StandsOut)
	require.Contains(t, err.Error(), "worst layers: dense (")
}

func TestBudgetCheck(t *testing.T) {
	r := &Result{Images: 1000, FloatAccuracy: 0.90, Int8Accuracy: 0.896, Agreement: 0.995, Disagreements: 5}
	require.NoError(t, r.Check(DefaultBudget), "0.4 points and 99.5% agreement are within budget")
	r.Int8Accuracy = 0.894
	require.ErrorContains(t, r.Check(DefaultBudget), "accuracy drops 0.60 points (90.00% -> 89.40%), budget 0.50")
	r.Int8Accuracy, r.Agreement, r.Disagreements = 0.91, 0.985, 15
	err := r.Check(DefaultBudget)
	require.ErrorContains(t, err, "top-1 agreement 98.50% (15 of 1000 images differ), budget 99.00%")
	require.NotContains(t, err.Error(), "accuracy drops", "a gain is not a loss")
}

func TestAddProbes(t *testing.T) {
	m := bnModel()
	ds := smoothImages(20, 4)
	q := quantized(t, m, ds)
	require.NoError(t, AddProbes(q, ds, 3))
	require.Len(t, q.Probes, 3)
	for i, want := range []int{0, 1, 2} { // labels alternate: class 0, class 1, class 0
		in, err := q.Tensor(q.Probes[i].Input)
		require.NoError(t, err)
		require.Equal(t, []byte(ds.Image(want)), in.Data)
		require.Len(t, q.Probes[i].Probabilities, 2)
	}
	b, err := model.Encode(q)
	require.NoError(t, err)
	saved, err := model.Decode(b)
	require.NoError(t, err)
	rt, err := infer.Load(saved, infer.Options{})
	require.NoError(t, err)
	require.NoError(t, rt.SelfCheck())
	rt.Close()

	// A model whose weights changed fails its own probes.
	head := q.Layers[len(q.Layers)-1].Quant
	bt, _ := q.Tensor(head.Bias)
	bias, _ := bt.Int32s()
	bias[0] += 1 << 20
	*bt = *model.NewInt32(bt.Name, bt.Shape, bias)
	rt, err = infer.Load(q, infer.Options{})
	require.NoError(t, err)
	require.ErrorContains(t, rt.SelfCheck(), "probe 0")
	rt.Close()
}

func TestCompareRefusesUnrelatedModels(t *testing.T) {
	m := bnModel()
	ds := smoothImages(10, 5)
	q := quantized(t, m, ds)
	q.Layers[0].Name = "other"
	_, err := LayerErrors(m, q, ds, 5)
	require.ErrorContains(t, err, `layer "other" of model "parity-test" is not in float model`)

	_, err = Compare(q, q, ds, Options{})
	require.ErrorContains(t, err, "the reference must be the float32 model")

	small := *ds
	small.Height, small.Width = 4, 4
	_, err = Compare(m, q, &small, Options{})
	require.ErrorContains(t, err, "images are 4x4, the models take 8x8")
}

func TestStandouts(t *testing.T) {
	layers := []LayerError{{Name: "a", SQNR: 40}, {Name: "b", SQNR: 41}, {Name: "c", SQNR: 12}, {Name: "d", SQNR: 39}}
	markStandouts(layers)
	require.Equal(t, []bool{false, false, true, false}, []bool{layers[0].StandsOut, layers[1].StandsOut, layers[2].StandsOut, layers[3].StandsOut})
	require.Equal(t, []string{"c", "d"}, []string{Worst(layers, 2)[0].Name, Worst(layers, 2)[1].Name})

	clean := []LayerError{{Name: "a", SQNR: 70}, {Name: "b", SQNR: 71}, {Name: "head", SQNR: 60}}
	markStandouts(clean)
	require.False(t, clean[2].StandsOut, "60 dB is far below the median but not an error worth naming")
}
