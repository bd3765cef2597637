package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/model"
)

// batchNorm is Keras' BatchNormalization over the last (channel) axis:
// y = gamma * (x - mean) / sqrt(var + epsilon) + beta. Training uses the
// batch's mean and (biased) variance and updates the moving statistics
// with moving = moving*momentum + batch*(1-momentum); inference uses the
// moving statistics. Channel sums are taken per worker in float64 and
// added in worker order.
type batchNorm struct {
	layerInfo
	epsilon, momentum            float64
	gamma, beta, movMean, movVar *param
	mean, invStd                 []float64   // of the last training batch
	sumDy, sumDyX                []float64   // channel sums of the last backward pass
	partA, partB                 [][]float64 // per-worker channel sums

	phase                bnPhase   // what part runs
	call                 pass      // the forward or backward call in progress
	normMean, normInvStd []float64 // the statistics bnNormalize uses
	count                float64   // values per channel in the backward call's batch
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
	b.sumDy, b.sumDyX = make([]float64, c), make([]float64, c)
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
	bnMean      bnPhase = iota // channel sums of x into partA
	bnVariance                 // channel sums of (x - mean)^2 into partB
	bnNormalize                // y from x with normMean and normInvStd
	bnSumDy                    // channel sums of dy into partA
	bnSumDyXhat                // channel sums of dy * xhat into partB
	bnInputGrad                // dx
)

// channelSums has every worker run a summing phase over its samples into
// part[w], then adds the parts in worker order into dst.
func (b *batchNorm) channelSums(e *engine, n int, phase bnPhase, dst []float64, part [][]float64) {
	b.phase = phase
	e.run(n, b)
	clear(dst)
	for _, p := range part {
		for c, v := range p {
			dst[c] += v
		}
	}
}

func (b *batchNorm) forward(e *engine, in, out []float32, n int, training bool) {
	c, size := b.in.C, b.in.size()
	b.call = pass{in: in, out: out}
	if training {
		count := float64(n * size / c)
		b.channelSums(e, n, bnMean, b.mean, b.partA)
		for i := range b.mean {
			b.mean[i] /= count
		}
		variance := b.invStd
		b.channelSums(e, n, bnVariance, variance, b.partB)
		m := b.momentum
		for i := range variance {
			variance[i] /= count
			b.movMean.value[i] = float32(float64(b.movMean.value[i])*m + b.mean[i]*(1-m))
			b.movVar.value[i] = float32(float64(b.movVar.value[i])*m + variance[i]*(1-m))
			b.invStd[i] = 1 / math.Sqrt(variance[i]+b.epsilon)
		}
		b.normMean, b.normInvStd = b.mean, b.invStd
	} else {
		b.normMean, b.normInvStd = b.partA[0], b.partB[0]
		for i := range c {
			b.normMean[i] = float64(b.movMean.value[i])
			b.normInvStd[i] = 1 / math.Sqrt(float64(b.movVar.value[i])+b.epsilon)
		}
	}
	b.phase = bnNormalize
	e.run(n, b)
}

// backward: with xhat the normalised input and N the values per channel,
// dbeta = sum dy, dgamma = sum dy*xhat and
// dx = gamma*invStd * (dy - dbeta/N - xhat*dgamma/N).
func (b *batchNorm) backward(e *engine, in, out, dout, din []float32, n int) {
	c, size := b.in.C, b.in.size()
	b.call = pass{in: in, out: out, dout: dout, din: din, backward: true}
	b.channelSums(e, n, bnSumDy, b.sumDy, b.partA)
	b.channelSums(e, n, bnSumDyXhat, b.sumDyX, b.partB)
	for ch := range c {
		b.beta.grad[ch] = float32(b.sumDy[ch])
		b.gamma.grad[ch] = float32(b.sumDyX[ch])
	}
	if din == nil {
		return
	}
	b.count = float64(n * size / c)
	b.phase = bnInputGrad
	e.run(n, b)
}

// part runs the current phase on samples [b0, b1).
func (b *batchNorm) part(w, b0, b1 int) {
	c := b.in.C
	lo, hi := b0*b.in.size(), b1*b.in.size()
	in, out, dout, din := b.call.in, b.call.out, b.call.dout, b.call.din
	mean, invStd := b.mean, b.invStd
	switch b.phase {
	case bnMean:
		acc := b.partA[w]
		clear(acc)
		for i := lo; i < hi; i++ {
			acc[i%c] += float64(in[i])
		}
	case bnVariance:
		acc := b.partB[w]
		clear(acc)
		for i := lo; i < hi; i++ {
			d := float64(in[i]) - mean[i%c]
			acc[i%c] += d * d
		}
	case bnNormalize:
		mean, invStd = b.normMean, b.normInvStd
		for i := lo; i < hi; i++ {
			ch := i % c
			out[i] = float32((float64(in[i])-mean[ch])*invStd[ch])*b.gamma.value[ch] + b.beta.value[ch]
		}
	case bnSumDy:
		acc := b.partA[w]
		clear(acc)
		for i := lo; i < hi; i++ {
			acc[i%c] += float64(dout[i])
		}
	case bnSumDyXhat:
		acc := b.partB[w]
		clear(acc)
		for i := lo; i < hi; i++ {
			ch := i % c
			acc[ch] += float64(dout[i]) * (float64(in[i]) - mean[ch]) * invStd[ch]
		}
	case bnInputGrad:
		for i := lo; i < hi; i++ {
			ch := i % c
			xhat := (float64(in[i]) - mean[ch]) * invStd[ch]
			g := float64(b.gamma.value[ch]) * invStd[ch]
			din[i] = float32(g * (float64(dout[i]) - b.sumDy[ch]/b.count - xhat*b.sumDyX[ch]/b.count))
		}
	}
}
