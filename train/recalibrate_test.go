package train

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/model"
)

// bnNet is conv -> BatchNormalization (momentum 0.999, MobileNetV2's) ->
// ReLU -> max pool -> dense, for 16x16 stripes.
func bnNet(t *testing.T, seed int64) *Sequential {
	n, err := newSequential("bn", 16, 16, 3, []layer{
		newConv2D(8, 3, 3, 1, 1, model.Same, model.Linear),
		newBatchNorm(1e-3, 0.999),
		newReLULayer(0),
		newPool2D(model.MaxPool2D, 4, 4, 4, 4, model.Valid),
		&flatten{layerInfo{kind: model.Flatten}},
		newDense(1, model.Sigmoid),
	})
	require.NoError(t, err)
	require.NoError(t, n.Init(seed))
	n.SetThreads(2)
	return n
}

// TestRecalibrateBNIsExact: the recomputed moving statistics are the exact
// mean and biased variance of the BatchNormalization layer's input over the
// batches read (the epoch's first three, in its order), and more batches
// than the epoch has read the epoch once.
func TestRecalibrateBNIsExact(t *testing.T) {
	n := bnNet(t, 3)
	data := newStripes(100, 16, 20, 1, true)
	x, y := make([]float32, 20*n.InputSize()), make([]int32, 20)
	n.ensure(20)
	bn := n.layers[1].(*batchNorm)
	require.Equal(t, 3, n.recalibrateBN(data, 4, 3, x, y))

	c := bn.in.C
	sum, sumSq, count := make([]float64, c), make([]float64, c), 0.0
	data.Reset(4)
	for range 3 {
		nb := data.Next(x, y)
		n.ForwardCollect(x, nb, func(layer int, out []float32) {
			if layer != 0 { // the convolution's output is the BN input
				return
			}
			for i, v := range out {
				sum[i%c] += float64(v)
				sumSq[i%c] += float64(v) * float64(v)
			}
			count += float64(len(out) / c)
		})
	}
	for ch := range c {
		mean := sum[ch] / count
		variance := sumSq[ch]/count - mean*mean
		require.InDelta(t, mean, bn.movMean.value[ch], 1e-5*(1+abs(mean)), "channel %d mean", ch)
		require.InDelta(t, variance, bn.movVar.value[ch], 1e-5*(1+variance), "channel %d variance", ch)
	}
	require.Nil(t, bn.acc, "recalibration must end")
	require.Equal(t, data.Steps(), n.recalibrateBN(data, 0, 1000, x, y))
}

func abs(v float64) float64 { return max(v, -v) }

// TestFitRecalibratesBN reproduces MobileNetV2's stale statistics in
// small: with momentum 0.999 and 80 steps the moving statistics still sit
// near their initial values (mean 0, variance 1) while the images, on an
// offset of 1, give the convolution outputs far from those, so validation
// with them is at chance though training learns; recalibrated, the same
// weights (training is unchanged, step for step) validate about as well as
// they train.
func TestFitRecalibratesBN(t *testing.T) {
	skipLongFit(t)
	shifted := func(n int, seed uint64, shuffle bool) *stripes {
		s := newStripes(n, 16, 32, seed, shuffle)
		for i := range s.x {
			s.x[i]++
		}
		return s
	}
	fit := func(recalibrate int) *Result {
		res, err := bnNet(t, 7).Fit(context.Background(), shifted(640, 1, true), shifted(128, 2, false),
			FitOptions{Epochs: 4, BatchSize: 32, Optimizer: Optimizer{LearningRate: 1e-2}, RecalibrateBN: recalibrate})
		require.NoError(t, err)
		return res
	}
	stale, precise := fit(0), fit(5)
	for i := range stale.History.Epochs {
		require.Equal(t, stale.History.Epochs[i].Loss, precise.History.Epochs[i].Loss, "epoch %d training loss", i+1)
	}
	last := func(r *Result) EpochLog { return r.History.Epochs[len(r.History.Epochs)-1] }
	t.Logf("train accuracy %.3f; validation accuracy stale %.3f, recalibrated %.3f",
		last(precise).Accuracy, last(stale).ValAccuracy, last(precise).ValAccuracy)
	require.Greater(t, last(precise).Accuracy, 0.75)
	require.Greater(t, last(precise).ValAccuracy, 0.7)
	require.Less(t, last(stale).ValAccuracy, 0.6)
}
