package train

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/train/internal/sgemm"
	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// activation is applied in place to rows of a layer's output (rows are
// channels of one pixel, or a Dense layer's units) and differentiated from
// the output alone.
type activation string

func parseActivation(s string) (activation, error) {
	switch s {
	case "", model.Linear:
		return model.Linear, nil
	case model.ReLU, model.ReLU6, model.Sigmoid, model.Softmax:
		return activation(s), nil
	}
	return "", fmt.Errorf("unknown activation %q (want relu, relu6, sigmoid, softmax or linear)", s)
}

// epilogue is the part of a layer's output stage the GEMM fuses into its
// store: adding the bias (nil for none), and ReLU (ReLU6's lower bound).
func (a activation) epilogue(bias []float32) sgemm.Epilogue {
	return sgemm.Epilogue{Bias: bias, ReLU: a == model.ReLU || a == model.ReLU6}
}

// apply replaces pre-activations z (rows of length row) by the activation,
// for layers that compute z without the GEMM's epilogue.
func (a activation) apply(z []float32, row int) {
	switch a {
	case model.ReLU:
		vec.Clamp(z, z, float32(math.Inf(1)))
	case model.ReLU6:
		vec.Clamp(z, z, 6)
	default:
		a.applyUnfused(z, row)
	}
}

// applyUnfused replaces pre-activations z (rows of length row) by the
// activation, after the GEMM epilogue applied its part (see epilogue).
func (a activation) applyUnfused(z []float32, row int) {
	switch a {
	case model.ReLU6:
		vec.Clamp(z, z, 6)
	case model.Sigmoid:
		for i, v := range z {
			z[i] = sigmoid(v)
		}
	case model.Softmax:
		for r := 0; r+row <= len(z); r += row {
			softmax(z[r : r+row])
		}
	}
}

// backward turns dL/dy into dL/dz in place, given the outputs y.
func (a activation) backward(dy, y []float32, row int) {
	switch a {
	case model.ReLU:
		vec.ReLUGrad(dy, y)
	case model.ReLU6:
		clampGrad(dy, y, 6)
	case model.Sigmoid:
		for i, v := range y {
			dy[i] *= v * (1 - v)
		}
	case model.Softmax:
		// dz_i = y_i * (dy_i - sum_j dy_j y_j)
		for r := 0; r+row <= len(y); r += row {
			ys, ds := y[r:r+row], dy[r:r+row]
			var dot float64
			for i, v := range ys {
				dot += float64(v) * float64(ds[i])
			}
			for i, v := range ys {
				ds[i] = v * (ds[i] - float32(dot))
			}
		}
	}
}

func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// softmax replaces v by its softmax, shifted by the maximum for stability.
func softmax(v []float32) {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	var s float64
	for i, x := range v {
		e := math.Exp(float64(x - m))
		v[i] = float32(e)
		s += e
	}
	inv := float32(1 / s)
	for i := range v {
		v[i] *= inv
	}
}

// clampGrad is the backward pass of y = min(max(z, 0), top) given y, in
// place: the gradient passes where 0 < y < top. top <= 0 means no upper
// bound.
func clampGrad(dy, y []float32, top float32) { clampGradTo(dy, dy, y, top) }

// clampGradTo is clampGrad writing dz (which may be dy).
func clampGradTo(dz, dy, y []float32, top float32) {
	if top > 0 {
		vec.ClampGrad(dz, dy, y, top)
		return
	}
	copy(dz, dy)
	vec.ReLUGrad(dz, y)
}
