package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// poisoned serves a Batcher's batches but puts a NaN into the first image
// of batch batch (1-based) of its reset-th Reset (1-based).
type poisoned struct {
	Batcher
	reset, batch int
	resets, n    int
}

func (p *poisoned) Reset(epoch int) {
	p.resets++
	p.n = 0
	p.Batcher.Reset(epoch)
}

func (p *poisoned) Next(x []float32, y []int32) int {
	nb := p.Batcher.Next(x, y)
	p.n++
	if p.resets == p.reset && p.n == p.batch && nb > 0 {
		x[0] = float32(math.NaN())
	}
	return nb
}

// TestFitStopsOnNonFiniteLoss: a NaN in the second epoch's training loss
// stops the run at once; the network holds epoch 1's weights, the history
// has epoch 1, and the checkpoint still holds epoch 1.
func TestFitStopsOnNonFiniteLoss(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	opts := FitOptions{Epochs: 4, BatchSize: 16, Optimizer: adam, Checkpoint: ck}
	var batches int
	opts.Progress = func(p Progress) {
		if !p.Done && p.Step > 0 {
			batches++
		}
	}
	n := smallNet(t, 3, 1)
	res, err := n.Fit(context.Background(), &poisoned{Batcher: newStripes(32, 16, 16, 1, true), reset: 2, batch: 2}, nil, opts)
	require.True(t, errors.Is(err, ErrNonFinite), "%v", err)
	require.ErrorContains(t, err, "batch 2 of 2 of epoch 2")
	require.Equal(t, 3, batches, "batches run: epoch 1's two and epoch 2's first")
	require.Equal(t, 1, res.BestEpoch)
	require.Len(t, res.History.Epochs, 1)

	ref := smallNet(t, 3, 1)
	_, err = ref.Fit(context.Background(), newStripes(32, 16, 16, 1, true), nil, FitOptions{Epochs: 1, BatchSize: 16, Optimizer: adam})
	require.NoError(t, err)
	x := newStripes(2, 16, 2, 7, false).x
	require.Equal(t, ref.Predict(x, 2), n.Predict(x, 2), "the network holds epoch 1's weights")

	saved, err := readCheckpoint(ck, n, nil)
	require.NoError(t, err)
	require.Equal(t, 1, saved.Epoch)
}

// TestFitStopsOnNonFiniteValidation: a NaN validation loss ends the run
// after that epoch, which is recorded but never the best; the history's
// JSON writes it as null.
func TestFitStopsOnNonFiniteValidation(t *testing.T) {
	n := smallNet(t, 3, 1)
	res, err := n.Fit(context.Background(), newStripes(32, 16, 16, 1, true), &poisoned{Batcher: newStripes(16, 16, 16, 2, false), reset: 2, batch: 1},
		FitOptions{Epochs: 4, BatchSize: 16, Optimizer: adam})
	require.True(t, errors.Is(err, ErrNonFinite), "%v", err)
	require.ErrorContains(t, err, "validation loss became NaN in epoch 2")
	require.Equal(t, 1, res.BestEpoch)
	require.Len(t, res.History.Epochs, 2)
	require.True(t, math.IsNaN(res.History.Epochs[1].ValLoss))

	b, err := json.Marshal(&res.History)
	require.NoError(t, err)
	var back struct{ History map[string][]*float64 }
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.History["val_loss"], 2)
	require.NotNil(t, back.History["val_loss"][0])
	require.Nil(t, back.History["val_loss"][1])
	dir := t.TempDir()
	require.NoError(t, res.History.Save(filepath.Join(dir, "h.csv"), filepath.Join(dir, "h.json")))
	require.True(t, strings.Contains(string(b), "null"))
}
