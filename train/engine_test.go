package train

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// everyLayerNet is a small 3-class network with a layer of every kind that
// splits its work over the workers.
func everyLayerNet(t *testing.T, threads int) *Sequential {
	n, err := newSequential("every-layer", 12, 12, 3, []layer{
		newConv2D(8, 3, 3, 1, 1, model.Same, model.ReLU),
		newBatchNorm(1e-3, 0.99),
		newPool2D(model.MaxPool2D, 2, 2, 2, 2, model.Valid),
		newConv2D(8, 1, 1, 1, 1, model.Valid, model.ReLU),
		newPool2D(model.AveragePooling2D, 2, 2, 2, 2, model.Same),
		newDropout(0.25),
		&globalAvgPool{layerInfo: layerInfo{kind: model.GlobalAveragePooling2D}},
		newDense(3, model.Softmax),
	})
	require.NoError(t, err)
	n.SetThreads(threads)
	return n
}

func randomBatch(n *Sequential, batch int) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, batch*n.InputSize())
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int32, batch)
	for i := range y {
		y[i] = int32(rng.IntN(n.Outputs()))
	}
	return x, y
}

// TestStepsAllocateNothing: once warmed up, a whole training step (forward,
// loss, backward, Adam) and PredictTo on two workers make no heap
// allocation.
func TestStepsAllocateNothing(t *testing.T) {
	n := everyLayerNet(t, 2)
	defer n.Close()
	loss, _, err := n.Loss()
	require.NoError(t, err)
	opt, err := newOptimizer(adam, n.params())
	require.NoError(t, err)
	x, y := randomBatch(n, 5)
	n.trainStep(opt, loss, x, y)
	require.Zero(t, testing.AllocsPerRun(10, func() { n.trainStep(opt, loss, x, y) }), "training step")

	out := n.PredictTo(nil, x, len(y))
	require.Len(t, out, len(y)*n.Outputs())
	require.Zero(t, testing.AllocsPerRun(10, func() { out = n.PredictTo(out, x, len(y)) }), "PredictTo")
}

// TestWorkersIndependentOfPool: results depend on the thread count only,
// not on whether the pool was restarted in between.
func TestWorkersIndependentOfPool(t *testing.T) {
	n := everyLayerNet(t, 3)
	defer n.Close()
	x, y := randomBatch(n, 7)
	first := n.Predict(x, len(y))
	n.Close()
	require.Equal(t, first, n.Predict(x, len(y)), "after Close the pool restarts")
	n.SetThreads(1)
	require.InDeltaSlice(t, first, n.Predict(x, len(y)), 1e-5, "one thread computes the same up to rounding")
}

// poolWorkers counts the goroutines running pool workers.
func poolWorkers() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "train.(*pool).work(")
}

// awaitPoolWorkers collects garbage until no more than want pool workers
// remain (or 5 s have passed) and returns how many remain.
func awaitPoolWorkers(want int) int {
	for deadline := time.Now().Add(5 * time.Second); poolWorkers() > want && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	return poolWorkers()
}

// TestWorkerGoroutinesStop: a network runs threads-1 worker goroutines,
// which Close, a change of thread count and the garbage collector stop.
func TestWorkerGoroutinesStop(t *testing.T) {
	require.Zero(t, awaitPoolWorkers(0), "workers of earlier tests' networks")
	n := everyLayerNet(t, 3)
	x, _ := randomBatch(n, 4)
	n.Predict(x, 4)
	require.Equal(t, 2, poolWorkers(), "3 threads: the caller and 2 workers")
	n.SetThreads(2)
	n.Predict(x, 4)
	require.Equal(t, 1, poolWorkers(), "2 threads: the caller and 1 worker")
	n.Close()
	require.Zero(t, poolWorkers(), "after Close")

	func() {
		dropped := everyLayerNet(t, 3)
		dropped.Predict(x, 4)
		require.Equal(t, 2, poolWorkers())
	}()
	require.Zero(t, awaitPoolWorkers(0), "an unreachable network's workers stop")
}
