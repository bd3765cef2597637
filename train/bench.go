package train

import (
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/edgecnn/edgecnn/train/internal/sgemm"
)

// Throughput is what TrainThroughput measured over the timed steps.
type Throughput struct {
	ImagesPerSecond float64
	// AllocsPerStep and BytesPerStep are the heap allocations of the whole
	// process per step (the Go runtime's own included).
	AllocsPerStep, BytesPerStep float64
}

// TrainThroughput times training steps (forward, loss, backward, Adam) on a
// fixed synthetic batch. warmup steps run first and are not timed. The
// weights change; re-Init to reuse the network.
func (n *Sequential) TrainThroughput(batch, warmup, steps int) (Throughput, error) {
	step, err := n.syntheticStep(batch)
	if err != nil {
		return Throughput{}, err
	}
	for range warmup {
		step()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range steps {
		step()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return Throughput{
		ImagesPerSecond: float64(batch*steps) / elapsed.Seconds(),
		AllocsPerStep:   float64(after.Mallocs-before.Mallocs) / float64(steps),
		BytesPerStep:    float64(after.TotalAlloc-before.TotalAlloc) / float64(steps),
	}, nil
}

// syntheticStep returns a function that runs one training step (with Adam,
// epsilon 0.01) on a fixed random batch of the given size.
func (n *Sequential) syntheticStep(batch int) (func(), error) {
	loss, _, err := n.Loss()
	if err != nil {
		return nil, err
	}
	opt, err := newOptimizer(Optimizer{Epsilon: 0.01}, n.params())
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*n.InputSize())
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int32, batch)
	for i := range y {
		y[i] = int32(rng.IntN(max(n.Outputs(), 2)))
	}
	return func() { n.trainStep(opt, loss, x, y) }, nil
}

// Kernel names the SGEMM micro-kernel in use: "avx512", "avx2" or "generic".
func Kernel() string { return sgemm.Impl() }
