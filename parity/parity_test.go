package parity

import (
	"testing"

	"github.com/stretchr/testify/require"

)

func TestCompareInt8(t *testing.T) {
	m := bnModel()
	ds := smoothImages(200, 1)
	q := quantized(t, m, ds)
	res, err := Compare(m, q, ds, Options{LayerImages: 50})
	require.NoError(t, err)
	t.Logf("%+v", res)
	require.Equal(t, 200, res.Images)
	require.GreaterOrEqual(t, res.Agreement, 0.95)
	require.Less(t, res.MaxAbsDiff, 0.1)
	require.Len(t, res.Layers, 4)
	for _, l := range res.Layers {
		require.Greater(t, l.SQNR, 20.0, l.Name)
		require.Greater(t, l.Cosine, 0.99, l.Name)
	}
	require.NoError(t, res.Check(Budget{MaxDrop: 100, MinAgreement: 0}))
}
