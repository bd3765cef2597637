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

// channelSums has every worker sum f(value, channel) over its samples into
// part[w], then adds the parts in worker order into dst.
func (b *batchNorm) channelSums(e *engine, n int, dst []float64, part [][]float64, f func(w, s int, acc []float64)) {
	e.run(n, func(w, b0, b1 int) {
		clear(part[w])
		for s := b0; s < b1; s++ {
			f(w, s, part[w])
		}
	})
	clear(dst)
	for _, p := range part {
		for c, v := range p {
			dst[c] += v
		}
	}
}

func (b *batchNorm) forward(e *engine, in, out []float32, n int, training bool) {
	c, size := b.in.C, b.in.size()
	if training {
		count := float64(n * size / c)
		b.channelSums(e, n, b.mean, b.partA, func(w, s int, acc []float64) {
			x := in[s*size : (s+1)*size]
			for i, v := range x {
				acc[i%c] += float64(v)
			}
		})
		for i := range b.mean {
			b.mean[i] /= count
		}
		variance := b.invStd
		b.channelSums(e, n, variance, b.partB, func(w, s int, acc []float64) {
			x := in[s*size : (s+1)*size]
			for i, v := range x {
				d := float64(v) - b.mean[i%c]
				acc[i%c] += d * d
			}
		})
		m := b.momentum
		for i := range variance {
			variance[i] /= count
			b.movMean.value[i] = float32(float64(b.movMean.value[i])*m + b.mean[i]*(1-m))
			b.movVar.value[i] = float32(float64(b.movVar.value[i])*m + variance[i]*(1-m))
			b.invStd[i] = 1 / math.Sqrt(variance[i]+b.epsilon)
		}
		b.normalize(e, in, out, n, b.mean, b.invStd)
		return
	}
	mean, inv := b.partA[0], b.partB[0]
	for i := range c {
		mean[i] = float64(b.movMean.value[i])
		inv[i] = 1 / math.Sqrt(float64(b.movVar.value[i])+b.epsilon)
	}
	b.normalize(e, in, out, n, mean, inv)
}

func (b *batchNorm) normalize(e *engine, in, out []float32, n int, mean, invStd []float64) {
	c, size := b.in.C, b.in.size()
	e.run(n, func(w, b0, b1 int) {
		for i := b0 * size; i < b1*size; i++ {
			ch := i % c
			out[i] = float32((float64(in[i])-mean[ch])*invStd[ch])*b.gamma.value[ch] + b.beta.value[ch]
		}
	})
}

// backward: with xhat the normalised input and N the values per channel,
// dbeta = sum dy, dgamma = sum dy*xhat and
// dx = gamma*invStd * (dy - dbeta/N - xhat*dgamma/N).
func (b *batchNorm) backward(e *engine, in, out, dout, din []float32, n int) {
	c, size := b.in.C, b.in.size()
	b.channelSums(e, n, b.sumDy, b.partA, func(w, s int, acc []float64) {
		for i, v := range dout[s*size : (s+1)*size] {
			acc[i%c] += float64(v)
		}
	})
	b.channelSums(e, n, b.sumDyX, b.partB, func(w, s int, acc []float64) {
		x := in[s*size : (s+1)*size]
		for i, v := range dout[s*size : (s+1)*size] {
			ch := i % c
			acc[ch] += float64(v) * (float64(x[i]) - b.mean[ch]) * b.invStd[ch]
		}
	})
	for ch := range c {
		b.beta.grad[ch] = float32(b.sumDy[ch])
		b.gamma.grad[ch] = float32(b.sumDyX[ch])
	}
	if din == nil {
		return
	}
	count := float64(n * size / c)
	e.run(n, func(w, b0, b1 int) {
		for i := b0 * size; i < b1*size; i++ {
			ch := i % c
			xhat := (float64(in[i]) - b.mean[ch]) * b.invStd[ch]
			g := float64(b.gamma.value[ch]) * b.invStd[ch]
			din[i] = float32(g * (float64(dout[i]) - b.sumDy[ch]/count - xhat*b.sumDyX[ch]/count))
		}
	})
}
