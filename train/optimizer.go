package train

import (
	"fmt"
	"math"
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
	m, v   [][]float32
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
		o.m = append(o.m, make([]float32, len(p.value)))
		if cfg.Name == "adam" {
			o.v = append(o.v, make([]float32, len(p.value)))
		}
	}
	return o, nil
}

// step applies one update from the parameters' gradients.
//
// Adam follows Keras: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2,
// w -= lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps) (epsilon outside the bias
// correction). SGD: velocity = momentum*velocity - lr*g, w += velocity.
func (o *optimizer) step() {
	o.t++
	if o.Name == "sgd" {
		mom, lr := float32(o.Momentum), float32(o.LearningRate)
		for i, p := range o.params {
			vel := o.m[i]
			for j, g := range p.grad {
				vel[j] = mom*vel[j] - lr*g
				p.value[j] += vel[j]
			}
		}
		return
	}
	t := float64(o.t)
	alpha := float32(o.LearningRate * math.Sqrt(1-math.Pow(o.Beta2, t)) / (1 - math.Pow(o.Beta1, t)))
	b1, b2, eps := float32(o.Beta1), float32(o.Beta2), float32(o.Epsilon)
	for i, p := range o.params {
		m, v := o.m[i], o.v[i]
		for j, g := range p.grad {
			m[j] = b1*m[j] + (1-b1)*g
			v[j] = b2*v[j] + (1-b2)*g*g
			p.value[j] -= alpha * m[j] / (float32(math.Sqrt(float64(v[j]))) + eps)
		}
	}
}
