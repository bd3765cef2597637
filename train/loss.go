package train

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/model"
)

// Loss names, as Keras spells them.
const (
	BinaryCrossentropy            = "binary_crossentropy"
	SparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
)

// lossEpsilon is Keras' backend epsilon: probabilities are clipped to
// [eps, 1-eps] before the logarithm.
const lossEpsilon = 1e-7

// Loss returns the loss the head implies (binary cross-entropy for one
// sigmoid unit, sparse categorical cross-entropy for a softmax) and the name
// of its accuracy metric, or an error for a head neither loss fits.
func (n *Sequential) Loss() (loss, metric string, err error) {
	last := n.layers[len(n.layers)-1]
	li := last.info()
	var act activation
	switch l := last.(type) {
	case *dense:
		act = l.act
	case *conv2D:
		act = l.act
	}
	switch {
	case li.out.size() == 1 && act == model.Sigmoid:
		return BinaryCrossentropy, "binary_accuracy", nil
	case li.out.size() > 1 && li.out.flat && act == model.Softmax:
		return SparseCategoricalCrossentropy, "accuracy", nil
	}
	return "", "", fmt.Errorf("the last layer (%s) must be Dense(1, sigmoid) for two classes or Dense(classes, softmax), got %v outputs with activation %q", li.name, li.out.dims(), act)
}

// lossAndGrad evaluates the loss of outputs p (batch x k) against labels y:
// it returns the summed per-sample loss and the number of correct
// predictions, and, when grad is not nil, writes dL/dp of the batch mean.
func lossAndGrad(loss string, p []float32, k int, y []int32, grad []float32) (sum float64, correct int) {
	batch := len(y)
	scale := 1 / float64(batch)
	const eps = lossEpsilon
	for i, t := range y {
		row := p[i*k : (i+1)*k]
		if loss == BinaryCrossentropy {
			pv := float64(row[0])
			pc := min(max(pv, eps), 1-eps)
			tv := float64(t)
			sum -= tv*math.Log(pc+eps) + (1-tv)*math.Log(1-pc+eps)
			if (pv > 0.5) == (t == 1) {
				correct++
			}
			if grad != nil {
				g := 0.0
				if pv > eps && pv < 1-eps {
					g = -(tv/(pc+eps) - (1-tv)/(1-pc+eps))
				}
				grad[i] = float32(g * scale)
			}
			continue
		}
		pt := float64(row[t])
		pc := min(max(pt, eps), 1-eps)
		sum -= math.Log(pc)
		if argmax(row) == int(t) {
			correct++
		}
		if grad != nil {
			g := grad[i*k : (i+1)*k]
			clear(g)
			if pt > eps && pt < 1-eps {
				g[t] = float32(-1 / pc * scale)
			}
		}
	}
	return sum, correct
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
