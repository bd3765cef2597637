package infer

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// TestPlanArenaNoOverlap places random buffers and checks that no two that
// are alive at the same step share a byte, and that the arena is at least
// the lower bound.
func TestPlanArenaNoOverlap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		bufs := make([]buffer, 1+rng.IntN(12))
		for i := range bufs {
			first := rng.IntN(10)
			size := 1 + rng.IntN(1000)
			bufs[i] = buffer{Size: size, Alloc: (size + 15) / 16 * 16, First: first, Last: first + rng.IntN(4)}
		}
		size := planArena(bufs)
		require.GreaterOrEqual(t, size, lowerBound(bufs), "trial %d", trial)
		require.LessOrEqual(t, size, naiveBytes(bufs)+16*len(bufs))
		for i := range bufs {
			a := &bufs[i]
			require.LessOrEqual(t, a.Offset+a.Alloc, size)
			for j := i + 1; j < len(bufs); j++ {
				b := &bufs[j]
				if a.overlaps(b) {
					disjoint := a.Offset+a.Alloc <= b.Offset || b.Offset+b.Alloc <= a.Offset
					require.True(t, disjoint, "trial %d: buffers %d %+v and %d %+v share memory", trial, i, *a, j, *b)
				}
			}
		}
	}
}

// TestLowerBound checks the bound on a hand-worked chain: 10 -> 30 -> 5,
// where the second step holds 30 + 5 and the first 10 + 30.
func TestLowerBound(t *testing.T) {
	bufs := []buffer{{Size: 10, First: 0, Last: 1}, {Size: 30, First: 1, Last: 2}, {Size: 5, First: 2, Last: 3}}
	require.Equal(t, 40, lowerBound(bufs))
	require.Equal(t, 45, naiveBytes(bufs))
}

// TestPresetArenas requires the planned arena of the presets, int8 and
// float, to be within 10% of the lower bound at several input sizes.
func TestPresetArenas(t *testing.T) {
	for _, s := range []stack{{"seed-tutorial", 0, 0, seedTutorial()}, {"seed-exercise", 0, 0, seedExercise()}} {
		for _, size := range []int{32, 96, 128, 160} {
			for _, dtype := range []model.DType{model.Int8, model.Float32} {
				name := fmt.Sprintf("%s@%d/%s", s.name, size, dtype)
				var m *model.Model
				var err error
				if dtype == model.Int8 {
					m, err = randmodel.Int8(s.name, size, size, s.layers, randmodel.Options{})
				} else {
					m, err = randmodel.Float(s.name, size, size, s.layers, randmodel.Options{})
				}
				require.NoError(t, err, name)
				r, err := Load(m, Options{})
				require.NoError(t, err, name)
				sum := r.Summary()
				require.LessOrEqual(t, float64(sum.ArenaBytes), 1.1*float64(sum.ArenaLowerBound), name)
				require.Less(t, sum.ArenaBytes, sum.NaiveBytes, name)
				r.Close()
			}
		}
	}
}
