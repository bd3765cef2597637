package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// batchNorm is Keras' BatchNormalization over the last (channel) axis:
// y = gamma * (x - mean) / sqrt(var + epsilon) + beta. Training uses the
// batch's mean and (biased) variance and updates the moving statistics
// with moving = moving*momentum + batch*(1-momentum); inference uses the
// moving statistics. Channel sums (of x and x^2 forward, of dy and dy*x
// backward) are taken per worker in float64 and added in worker order; each
// elementwise pass is then an affine map per channel in float32.
// While acc is set (recalibration), every forward pass normalises with the
// batch's statistics and adds its channel sums to acc instead of updating
// the moving statistics.
type batchNorm struct {
	layerInfo
	epsilon, momentum            float64
	gamma, beta, movMean, movVar *param
	mean, invStd                 []float64   // of the last training batch
	partA, partB                 [][]float64 // per-worker channel sums
	sumA, sumB                   []float64   // their totals
	coefA, coefB, coefC          []float32   // per channel: the affine map of the current phase

	phase bnPhase // what part runs
	call  pass    // the forward or backward call in progress
	acc   *bnAccumulator
}

// bnAccumulator sums a channel's values and squares over the batches of a
// recalibration, in float64.
type bnAccumulator struct {
	sum, sumSq []float64
	count      float64 // values per channel so far
}

func newBatchNorm(epsilon, momentum float64) *batchNorm {
	return &batchNorm{layerInfo: layerInfo{kind: model.BatchNormalization}, epsilon: epsilon, momentum: momentum}
}

func (b *batchNorm) build(in shape, _ *rand.Rand) error {
	if b.epsilon <= 0 || b.momentum < 0 || b.momentum >= 1 {
		return fmt.Errorf("epsilon must be positive and momentum in [0, 1), got %g and %g", b.epsilon, b.momentum)
	}
	c := in.C
	b.in, b.out = in, in
	b.gamma = newParam("gamma", true, c)
	b.beta = newParam("beta", true, c)
	b.movMean = newParam("moving_mean", false, c)
	b.movVar = newParam("moving_variance", false, c)
	for i := range c {
		b.gamma.value[i] = 1
		b.movVar.value[i] = 1
	}
	b.params = []*param{b.gamma, b.beta, b.movMean, b.movVar}
	b.mean, b.invStd = make([]float64, c), make([]float64, c)
	b.sumA, b.sumB = make([]float64, c), make([]float64, c)
	b.coefA, b.coefB, b.coefC = make([]float32, c), make([]float32, c), make([]float32, c)
	return nil
}

func (b *batchNorm) alloc(threads, maxBatch int) {
	b.partA, b.partB = make([][]float64, threads), make([][]float64, threads)
	for w := range threads {
		b.partA[w], b.partB[w] = make([]float64, b.in.C), make([]float64, b.in.C)
	}
}

// bnPhase is the per-worker step a batchNorm job runs.
type bnPhase int

const (
	bnSums      bnPhase = iota // channel sums of x and x^2 into partA, partB
	bnAffine                   // y = x*coefA + coefB
	bnGradSums                 // channel sums of dy and dy*x into partA, partB
	bnInputGrad                // dx = dy*coefA + x*coefB + coefC
)

// channelSums has every worker run a summing phase over its samples into
// partA and partB, then adds the parts in worker order into sumA and sumB.
func (b *batchNorm) channelSums(e *engine, n int, phase bnPhase) {
	b.phase = phase
	e.run(n, b)
	clear(b.sumA)
	clear(b.sumB)
	for w := range b.partA {
		for c := range b.sumA {
			b.sumA[c] += b.partA[w][c]
			b.sumB[c] += b.partB[w][c]
		}
	}
}

func (b *batchNorm) forward(e *engine, in, out []float32, n int, training bool) {
	b.call = pass{in: in, out: out}
	count := float64(n * b.in.size() / b.in.C)
	batchStats := training || b.acc != nil
	if batchStats {
		b.channelSums(e, n, bnSums)
	}
	if b.acc != nil {
		for ch := range b.in.C {
			b.acc.sum[ch] += b.sumA[ch]
			b.acc.sumSq[ch] += b.sumB[ch]
		}
		b.acc.count += count
	}
	for ch := range b.in.C {
		mean := float64(b.movMean.value[ch])
		invStd := 1 / math.Sqrt(float64(b.movVar.value[ch])+b.epsilon)
		if batchStats {
			mean = b.sumA[ch] / count
			variance := max(b.sumB[ch]/count-mean*mean, 0)
			if b.acc == nil {
				m := b.momentum
				b.movMean.value[ch] = float32(float64(b.movMean.value[ch])*m + mean*(1-m))
				b.movVar.value[ch] = float32(float64(b.movVar.value[ch])*m + variance*(1-m))
			}
			invStd = 1 / math.Sqrt(variance+b.epsilon)
			b.mean[ch], b.invStd[ch] = mean, invStd
		}
		a := float64(b.gamma.value[ch]) * invStd
		b.coefA[ch], b.coefB[ch] = float32(a), float32(float64(b.beta.value[ch])-mean*a)
	}
	b.phase = bnAffine
	e.run(n, b)
}

// backward: with xhat the normalised input and N the values per channel,
// dbeta = sum dy, dgamma = sum dy*xhat = invStd * (sum dy*x - mean sum dy)
// and dx = gamma*invStd * (dy - dbeta/N - xhat*dgamma/N), an affine map of
// dy and x per channel.
func (b *batchNorm) backward(e *engine, in, out, dout, din []float32, n int) {
	b.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	b.channelSums(e, n, bnGradSums)
	count := float64(n * b.in.size() / b.in.C)
	for ch := range b.in.C {
		mean, invStd := b.mean[ch], b.invStd[ch]
		sumDy := b.sumA[ch]
		sumDyXhat := invStd * (b.sumB[ch] - mean*sumDy)
		b.beta.grad[ch] = float32(sumDy)
		b.gamma.grad[ch] = float32(sumDyXhat)
		g := float64(b.gamma.value[ch]) * invStd
		coefX := -g * invStd * sumDyXhat / count
		b.coefA[ch], b.coefB[ch], b.coefC[ch] = float32(g), float32(coefX), float32(-g*sumDy/count-coefX*mean)
	}
	if din == nil {
		return
	}
	b.phase = bnInputGrad
	e.run(n, b)
}

// part runs the current phase on samples [b0, b1).
func (b *batchNorm) part(w, b0, b1 int) {
	c := b.in.C
	lo, hi := b0*b.in.size(), b1*b.in.size()
	in := b.call.in[lo:hi]
	switch b.phase {
	case bnSums, bnGradSums:
		s1, s2 := b.partA[w], b.partB[w]
		clear(s1)
		clear(s2)
		if b.phase == bnSums {
			vec.ChannelSums(s1, s2, in, in, c)
		} else {
			vec.ChannelSums(s1, s2, b.call.dout[lo:hi], in, c)
		}
	case bnAffine:
		vec.Affine(b.call.out[lo:hi], in, b.coefA, b.coefB, c)
	case bnInputGrad:
		vec.Affine2(b.call.din[lo:hi], b.call.dout[lo:hi], in, b.coefA, b.coefB, b.coefC, c)
	}
}

// startRecalibration makes the following forward passes accumulate the
// statistics of the layer's input.
func (b *batchNorm) startRecalibration() {
	b.acc = &bnAccumulator{sum: make([]float64, b.in.C), sumSq: make([]float64, b.in.C)}
}

// endRecalibration sets the moving mean and (biased) variance to those of
// every value seen since startRecalibration, and stops accumulating. With
// nothing seen it leaves them as they were.
func (b *batchNorm) endRecalibration() {
	acc := b.acc
	b.acc = nil
	if acc.count == 0 {
		return
	}
	for ch := range b.in.C {
		mean := acc.sum[ch] / acc.count
		b.movMean.value[ch] = float32(mean)
		b.movVar.value[ch] = float32(max(acc.sumSq[ch]/acc.count-mean*mean, 0))
	}
}
