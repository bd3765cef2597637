package train

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/train/internal/vec"
)

// Optimizer configures the weight update. Zero fields take Keras' defaults.
type Optimizer struct {
	Name         string  // "adam" (default) or "sgd"
	LearningRate float64 // default 0.001 (adam) or 0.01 (sgd)
	Beta1, Beta2 float64 // adam; default 0.9 and 0.999
	Epsilon      float64 // adam; default 1e-7 (the Keras lesson uses 0.01)
	Momentum     float64 // sgd; default 0
}

// withDefaults fills the zero fields and checks the rest.
func (o Optimizer) withDefaults() (Optimizer, error) {
	switch o.Name {
	case "", "adam":
		o.Name = "adam"
		if o.LearningRate == 0 {
			o.LearningRate = 0.001
		}
		if o.Beta1 == 0 {
			o.Beta1 = 0.9
		}
		if o.Beta2 == 0 {
			o.Beta2 = 0.999
		}
		if o.Epsilon == 0 {
			o.Epsilon = 1e-7
		}
	case "sgd":
		if o.LearningRate == 0 {
			o.LearningRate = 0.01
		}
	default:
		return o, fmt.Errorf("unknown optimizer %q (want adam or sgd)", o.Name)
	}
	if o.LearningRate < 0 || o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1 || o.Epsilon < 0 || o.Momentum < 0 || o.Momentum >= 1 {
		return o, fmt.Errorf("optimizer %s: learning rate, betas, epsilon or momentum out of range", o.Name)
	}
	return o, nil
}

// optimizer holds the update state: the step count and one or two slots
// per trainable parameter (Adam's m and v, SGD's velocity).
type optimizer struct {
	Optimizer
	t      int64
	params []*param
	size   int // elements in params
	m, v   [][]float32
	alpha  float32 // Adam's step size with the bias corrections of step t
}

func newOptimizer(cfg Optimizer, params []*param) (*optimizer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := &optimizer{Optimizer: cfg}
	for _, p := range params {
		if !p.trainable {
			continue
		}
		o.params = append(o.params, p)
		o.size += len(p.value)
		o.m = append(o.m, make([]float32, len(p.value)))
		if cfg.Name == "adam" {
			o.v = append(o.v, make([]float32, len(p.value)))
		}
	}
	return o, nil
}

// step applies one update from the parameters' gradients, on the engine's
// workers: each updates its share of the weights (every weight's update
// depends only on its own gradient and state, so the split changes
// nothing).
//
// Adam follows Keras: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2,
// w -= lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps) (epsilon outside the bias
// correction). SGD: velocity = momentum*velocity - lr*g, w += velocity.
func (o *optimizer) step(e *engine) {
	o.t++
	t := float64(o.t)
	o.alpha = float32(o.LearningRate * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t)))
	e.run(o.size, o)
}

// part updates elements [b0, b1) of the trainable parameters laid end to
// end.
func (o *optimizer) part(_, b0, b1 int) {
	off := 0
	for i, p := range o.params {
		lo, hi := max(b0-off, 0), min(b1-off, len(p.value))
		if lo < hi {
			o.update(i, lo, hi)
		}
		off += len(p.value)
	}
}

// update applies the step to elements [lo, hi) of parameter i.
func (o *optimizer) update(i, lo, hi int) {
	p := o.params[i]
	w, grad := p.value[lo:hi], p.grad[lo:hi]
	if o.Name == "sgd" {
		mom, lr := float32(o.Momentum), float32(o.LearningRate)
		vel := o.m[i][lo:hi]
		for j, g := range grad {
			vel[j] = mom*vel[j] - lr*g
			w[j] += vel[j]
		}
		return
	}
	vec.Adam(w, grad, o.m[i][lo:hi], o.v[i][lo:hi], o.alpha, float32(o.Beta1), float32(o.Beta2), float32(o.Epsilon))
}
