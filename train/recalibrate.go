package train

import "fmt"

// recalibrateBN sets the moving statistics of every BatchNormalization
// layer to the exact mean and variance of its input over the first (up to)
// batches batches of epoch epoch of b, as "precise BN" does: the network
// runs forward normalising with each batch's own statistics, as in
// training, but with Dropout off and no weight changing. x and y must hold
// a batch. It returns the number of batches used; without BatchNormalization
// layers it reads nothing.
func (n *Sequential) recalibrateBN(b Batcher, epoch, batches int, x []float32, y []int32) int {
	var bns []*batchNorm
	for _, l := range n.layers {
		if bn, ok := l.(*batchNorm); ok {
			bns = append(bns, bn)
		}
	}
	if len(bns) == 0 || batches <= 0 {
		return 0
	}
	for _, bn := range bns {
		bn.startRecalibration()
	}
	b.Reset(epoch)
	used := 0
	for used < batches {
		nb := b.Next(x, y)
		if nb == 0 {
			break
		}
		n.run(x, nb, false, nil)
		used++
	}
	for _, bn := range bns {
		bn.endRecalibration()
	}
	return used
}

// SetBNMomentum sets the momentum of the moving statistics of every
// BatchNormalization layer (Keras' momentum: moving = moving*m +
// batch*(1-m)). It changes no parameter count.
func (n *Sequential) SetBNMomentum(m float64) error {
	if m < 0 || m >= 1 {
		return fmt.Errorf("BatchNormalization momentum must be in [0, 1), got %g", m)
	}
	for _, l := range n.layers {
		if bn, ok := l.(*batchNorm); ok {
			bn.momentum = m
		}
	}
	return nil
}
