package testmodels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/model"
)

func TestAddUniformShapeRangeAndSeed(t *testing.T) {
	var a, b model.Model
	AddUniform(&a, rand.New(rand.NewPCG(1, 2)), "k", -0.5, 0.25, 3, 2, 4)
	AddUniform(&b, rand.New(rand.NewPCG(1, 2)), "k", -0.5, 0.25, 3, 2, 4)
	ta, err := a.Tensor("k")
	require.NoError(t, err)
	require.Equal(t, []int{3, 2, 4}, ta.Shape)
	v, err := ta.Float32s()
	require.NoError(t, err)
	require.Len(t, v, 24)
	distinct := map[float32]bool{}
	for _, x := range v {
		require.GreaterOrEqual(t, x, float32(-0.5))
		require.Less(t, x, float32(0.25))
		distinct[x] = true
	}
	require.Len(t, distinct, 24)
	tb, err := b.Tensor("k")
	require.NoError(t, err)
	require.Equal(t, ta.Data, tb.Data, "the same seed draws the same values")
}

func TestAddBatchNormRanges(t *testing.T) {
	var m model.Model
	AddBatchNorm(&m, rand.New(rand.NewPCG(3, 4)), "bn", 16)
	for name, lim := range map[string][2]float32{
		"bn/gamma": {0.5, 1.5}, "bn/beta": {-0.2, 0.2}, "bn/moving_mean": {-0.3, 0.3}, "bn/moving_variance": {0.05, 2},
	} {
		tn, err := m.Tensor(name)
		require.NoError(t, err, name)
		v, err := tn.Float32s()
		require.NoError(t, err)
		require.Len(t, v, 16, name)
		for _, x := range v {
			require.GreaterOrEqual(t, x, lim[0], name)
			require.Less(t, x, lim[1], name)
		}
	}
}

func TestNewIsAValidModelOnceWeighted(t *testing.T) {
	m := New("tiny", 2, 3, []model.Layer{
		{Name: "flatten", Type: model.Flatten, OutputShape: []int{18}},
		{Name: "dense", Type: model.Dense, Units: 1, Activation: model.Sigmoid, OutputShape: []int{1}, Weights: []string{"dense/kernel", "dense/bias"}},
	})
	require.Equal(t, []int{2, 3, 3}, m.InputShape())
	r := rand.New(rand.NewPCG(5, 6))
	AddUniform(m, r, "dense/kernel", -1, 1, 18, 1)
	AddUniform(m, r, "dense/bias", -1, 1, 1)
	require.NoError(t, m.Validate())
}
