package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// stripes is a synthetic two-class image set: class 1 has a bright
// horizontal band, class 0 a bright vertical one, both at random places,
// on noise. Batches are shuffled per epoch from (seed, epoch).
type stripes struct {
	x       []float32
	y       []int32
	size    int
	batch   int
	shuffle bool
	order   []int
	pos     int
}

func newStripes(n, hw, batch int, seed uint64, shuffle bool) *stripes {
	rng := rand.New(rand.NewPCG(seed, 99))
	size := hw * hw * 3
	s := &stripes{x: make([]float32, n*size), y: make([]int32, n), size: size, batch: batch, shuffle: shuffle, order: make([]int, n)}
	for i := range n {
		img := s.x[i*size : (i+1)*size]
		for j := range img {
			img[j] = rng.Float32() * 0.5
		}
		label := int32(i % 2)
		at := rng.IntN(hw)
		for k := range hw {
			px := at*hw + k // row at
			if label == 0 {
				px = k*hw + at // column at
			}
			img[px*3+rng.IntN(3)] = 1
		}
		s.y[i] = label
	}
	return s
}

func (s *stripes) Steps() int { return (len(s.y) + s.batch - 1) / s.batch }

func (s *stripes) Reset(epoch int) {
	s.pos = 0
	for i := range s.order {
		s.order[i] = i
	}
	if s.shuffle {
		r := rand.New(rand.NewPCG(uint64(epoch), 5))
		r.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	}
}

func (s *stripes) Next(x []float32, y []int32) int {
	n := min(s.batch, len(s.order)-s.pos)
	for k := range n {
		i := s.order[s.pos+k]
		copy(x[k*s.size:(k+1)*s.size], s.x[i*s.size:(i+1)*s.size])
		y[k] = s.y[i]
	}
	s.pos += n
	return n
}

func smallNet(t *testing.T, seed int64, threads int) *Sequential {
	n, err := Preset("seed-exercise", 16, 16, 3, 2)
	require.NoError(t, err)
	require.NoError(t, n.Init(seed))
	n.SetThreads(threads)
	return n
}

var adam = Optimizer{LearningRate: 1e-3}

// TestFitLearnsAndIsDeterministic trains twice from the same seed with two
// threads: the histories must be identical and the task learnt.
func TestFitLearnsAndIsDeterministic(t *testing.T) {
	skipLongFit(t)
	run := func() *Result {
		n := smallNet(t, 42, 2)
		res, err := n.Fit(context.Background(), newStripes(600, 16, 20, 1, true), newStripes(100, 16, 32, 2, false),
			FitOptions{Epochs: 4, BatchSize: 32, Optimizer: adam})
		require.NoError(t, err)
		return res
	}
	a, b := run(), run()
	require.Len(t, a.History.Epochs, 4)
	for i := range a.History.Epochs {
		ea, eb := a.History.Epochs[i], b.History.Epochs[i]
		ea.Seconds, eb.Seconds = 0, 0
		require.Equal(t, ea, eb, "epoch %d", i+1)
	}
	last := a.History.Epochs[3]
	require.Greater(t, last.ValAccuracy, 0.9, "history %+v", a.History.Epochs)
	require.Less(t, last.Loss, a.History.Epochs[0].Loss)
}

// TestFitResume interrupts a run in the middle of its second epoch and
// resumes it from the checkpoint: history and weights must match an
// uninterrupted run exactly.
func TestFitResume(t *testing.T) {
	skipLongFit(t)
	dir := t.TempDir()
	opts := FitOptions{Epochs: 3, BatchSize: 32, Optimizer: adam}
	full, err := smallNet(t, 5, 2).Fit(context.Background(), newStripes(200, 16, 32, 1, true), newStripes(64, 16, 32, 2, false), opts)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	opts.Checkpoint = filepath.Join(dir, "ck")
	opts.Progress = func(p Progress) {
		if p.Epoch == 2 && p.Step == 3 {
			cancel()
		}
	}
	_, err = smallNet(t, 5, 2).Fit(ctx, newStripes(200, 16, 32, 1, true), newStripes(64, 16, 32, 2, false), opts)
	require.True(t, errors.Is(err, ErrInterrupted), "%v", err)

	opts.Progress, opts.Resume = nil, true
	// Another seed and thread count: everything must come from the checkpoint.
	resumed := smallNet(t, 99, 1)
	res, err := resumed.Fit(context.Background(), newStripes(200, 16, 32, 1, true), newStripes(64, 16, 32, 2, false), opts)
	require.NoError(t, err)
	require.Len(t, res.History.Epochs, 3)
	for i := range full.History.Epochs {
		ea, eb := full.History.Epochs[i], res.History.Epochs[i]
		ea.Seconds, eb.Seconds = 0, 0
		require.Equal(t, ea, eb, "epoch %d", i+1)
	}
	require.Equal(t, full.BestEpoch, res.BestEpoch)

	// A checkpoint of another architecture is refused.
	other, err := Preset("seed-tutorial", 16, 16, 3, 2)
	require.NoError(t, err)
	_, err = other.Fit(context.Background(), newStripes(64, 16, 32, 1, true), nil, opts)
	require.ErrorContains(t, err, "another architecture")
}

// TestEarlyStopping: with a zero learning rate nothing improves, so
// patience 2 stops after three epochs and keeps epoch 1.
func TestEarlyStopping(t *testing.T) {
	skipLongFit(t)
	n := smallNet(t, 1, 2)
	res, err := n.Fit(context.Background(), newStripes(64, 16, 32, 1, true), newStripes(32, 16, 32, 2, false),
		FitOptions{Epochs: 10, BatchSize: 32, Optimizer: Optimizer{Name: "sgd", LearningRate: 1e-30}, Patience: 2, MinDelta: 1e-3})
	require.NoError(t, err)
	require.True(t, res.Stopped)
	require.Len(t, res.History.Epochs, 3)
	require.Equal(t, 1, res.BestEpoch)
	require.Equal(t, "val_loss", res.Monitor)
}

// skipLongFit skips multi-epoch training runs in -short mode: they take
// seconds natively but minutes under QEMU, where the arm64 suite runs -short.
func skipLongFit(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-epoch training: skipped in -short mode")
	}
}

func TestPrecisionRecall(t *testing.T) {
	// true class 0: 3 right, 1 taken for class 1; true class 1: 2 taken for
	// class 0, 4 right; class 2 never seen nor predicted.
	ev := &Evaluation{Confusion: [][]int{{3, 1, 0}, {2, 4, 0}, {0, 0, 0}}}
	p, r := ev.PrecisionRecall()
	require.InDeltaSlice(t, []float64{3.0 / 5, 4.0 / 5, 0}, p, 1e-12)
	require.InDeltaSlice(t, []float64{3.0 / 4, 4.0 / 6, 0}, r, 1e-12)
}
