package calib

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParamsCoversRangeAndZero(t *testing.T) {
	s, zp := Params(0, 1)
	require.Equal(t, float32(1.0/255), s)
	require.Equal(t, int32(-128), zp)

	for _, r := range [][2]float64{{-1, 1}, {-0.3, 7}, {-5, -1}, {2, 3}, {-100, 0.01}} {
		s, zp := Params(r[0], r[1])
		lo, hi := math.Min(r[0], 0), math.Max(r[1], 0)
		// Zero is exact: q = zp maps to 0. The ends lie within one step of the grid's ends.
		require.InDelta(t, lo, float64(s)*float64(-128-zp), float64(s), "%v", r)
		require.InDelta(t, hi, float64(s)*float64(127-zp), float64(s), "%v", r)
		require.GreaterOrEqual(t, zp, int32(-128))
		require.LessOrEqual(t, zp, int32(127))
	}
	s, zp = Params(0, 0)
	require.Positive(t, s)
	require.Equal(t, int32(-128), zp)
}

func sample(n int, seed uint64, f func(r *rand.Rand) float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(f(r))
	}
	return v
}

func histOf(v []float32) *Histogram {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
	}
	h := NewHistogram(lo, hi)
	h.Add(v)
	return h
}

func TestQuantileUniform(t *testing.T) {
	v := sample(200000, 1, func(r *rand.Rand) float64 { return r.Float64()*4 - 1 }) // U(-1, 3)
	h := histOf(v)
	require.Equal(t, float64(len(v)), h.Total())
	for _, q := range []float64{0.01, 0.25, 0.5, 0.9, 0.999} {
		require.InDelta(t, -1+4*q, h.Quantile(q), 0.02, "q=%v", q)
	}
}

func TestQuantileCountsZeros(t *testing.T) {
	// Half zeros, half U(0,1): the median is 0, the 75th percentile 0.5.
	v := sample(100000, 2, func(r *rand.Rand) float64 {
		if r.IntN(2) == 0 {
			return 0
		}
		return r.Float64()
	})
	h := histOf(v)
	require.Equal(t, 0.0, h.Quantile(0.4))
	require.InDelta(t, 0.5, h.Quantile(0.75), 0.02)
	lo, hi, err := h.Range(Percentile, 99)
	require.NoError(t, err)
	require.Equal(t, 0.0, lo)
	require.InDelta(t, 0.98, hi, 0.02)
}

func TestMinMaxRange(t *testing.T) {
	h := histOf([]float32{0.5, 2, 3})
	lo, hi, err := h.Range(MinMax, 0)
	require.NoError(t, err)
	require.Equal(t, [2]float64{0, 3}, [2]float64{lo, hi}, "the range is widened to contain 0")
	_, _, err = h.Range("kmeans", 0)
	require.ErrorContains(t, err, `unknown calibration method "kmeans"`)
	_, _, err = h.Range(Percentile, 30)
	require.ErrorContains(t, err, "outside (50, 100]")
}

// ReLU of a Gaussian plus a few far outliers: the entropy threshold must clip
// the outliers (stay well below the maximum) yet keep the bulk (at least its
// 99th percentile, 2.58 sigma of a half-normal).
func TestEntropyClipsOutliers(t *testing.T) {
	v := sample(200000, 3, func(r *rand.Rand) float64 { return math.Max(0, r.NormFloat64()) })
	for i := range 20 {
		v[i] = 16
	}
	h := histOf(v)
	lo, hi, err := h.Range(Entropy, 0)
	require.NoError(t, err)
	require.Equal(t, 0.0, lo)
	require.Greater(t, hi, 2.58)
	require.Less(t, hi, 8.0)
}

// Without outliers nothing needs clipping: a uniform distribution keeps its
// whole range (any clipping loses mass that the quantised copy cannot
// represent, and there is no resolution to gain).
func TestEntropyKeepsUniformRange(t *testing.T) {
	h := histOf(sample(200000, 4, func(r *rand.Rand) float64 { return r.Float64() * 3 }))
	_, hi, err := h.Range(Entropy, 0)
	require.NoError(t, err)
	require.InDelta(t, 3, hi, 0.1)
}

func TestEntropyTwoSidedIsSymmetric(t *testing.T) {
	v := sample(200000, 5, func(r *rand.Rand) float64 { return r.NormFloat64() })
	v[0], v[1] = 20, -12
	lo, hi, err := histOf(v).Range(Entropy, 0)
	require.NoError(t, err)
	require.Equal(t, -lo, hi)
	require.Greater(t, hi, 2.58)
	require.Less(t, hi, 10.0)
}

// For 8-bit uniform quantisation over [-a, a] the MSE-optimal clip is 9.89b
// for a Laplace(0, b) and 3.92 sigma for a Gaussian (Banner et al., "Post
// training 4-bit quantization of convolutional networks", ACIQ, Table 1 of
// the analysis, same noise model).
func TestMSEMatchesAnalyticClip(t *testing.T) {
	laplace := sample(2000000, 6, func(r *rand.Rand) float64 {
		u := r.Float64() - 0.5
		return -math.Copysign(math.Log(1-2*math.Abs(u)), u)
	})
	lo, hi, err := histOf(laplace).Range(MSE, 0)
	require.NoError(t, err)
	require.InDelta(t, 9.89, hi, 1.0)
	require.InDelta(t, -9.89, lo, 1.0)

	gauss := sample(2000000, 7, func(r *rand.Rand) float64 { return r.NormFloat64() })
	lo, hi, err = histOf(gauss).Range(MSE, 0)
	require.NoError(t, err)
	require.InDelta(t, 3.92, hi, 0.3)
	require.InDelta(t, -3.92, lo, 0.3)
}

func TestAllZeroTensor(t *testing.T) {
	h := NewHistogram(0, 0)
	h.Add(make([]float32, 10))
	for _, m := range Methods {
		lo, hi, err := h.Range(m, DefaultPercentile)
		require.NoError(t, err)
		require.Equal(t, [2]float64{0, 0}, [2]float64{lo, hi})
	}
}
