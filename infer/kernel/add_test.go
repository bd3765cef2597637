package kernel

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// addFloat is Add in real arithmetic: dequantise, add, quantise to the
// nearest step, clamp.
func addFloat(a, b int8, s1 float64, z1 int32, s2 float64, z2 int32, sOut float64, zOut, lo, hi int32) int32 {
	real := s1*float64(int32(a)-z1) + s2*float64(int32(b)-z2)
	q := int32(math.Round(real/sOut)) + zOut
	return min(max(q, lo), hi)
}

func TestAddWithinOneStepOfRealArithmetic(t *testing.T) {
	r := rand.New(rand.NewSource(31))
	for range 200 {
		s1, s2 := math.Exp(r.Float64()*8-6), math.Exp(r.Float64()*8-6)
		sOut := (s1 + s2) * math.Exp(r.Float64()*2-0.5)
		z1, z2, zOut := int32(r.Intn(256)-128), int32(r.Intn(256)-128), int32(r.Intn(256)-128)
		lo, hi := int32(-128), int32(127)
		if r.Intn(2) == 0 { // fused ReLU
			lo = zOut
		}
		p, err := NewAddParams(s1, z1, s2, z2, sOut, zOut, lo, hi)
		require.NoError(t, err)
		a, b := randInt8s(r, 64, -128, 127), randInt8s(r, 64, -128, 127)
		out := make([]int8, 64)
		Add(out, a, b, &p)
		for i := range out {
			want := addFloat(a[i], b[i], s1, z1, s2, z2, sOut, zOut, lo, hi)
			require.InDelta(t, want, int32(out[i]), 1, "s=%v,%v,%v z=%d,%d,%d a=%d b=%d", s1, s2, sOut, z1, z2, zOut, a[i], b[i])
		}
	}
}

func TestAddKnownValues(t *testing.T) {
	// Equal scales: the integer sum of the offset inputs, saturated.
	p, err := NewAddParams(0.5, 10, 0.5, -5, 0.5, 3, -128, 127)
	require.NoError(t, err)
	out := make([]int8, 4)
	Add(out, []int8{20, 100, -100, 0}, []int8{-5, 50, -50, -20}, &p)
	require.Equal(t, []int8{13, 127, -128, -22}, out) // (20-10)+(-5+5)+3, saturated, saturated, -10-15+3
	// Output scale twice the inputs': halves round away from zero.
	p, err = NewAddParams(1, 0, 1, 0, 2, 0, -128, 127)
	require.NoError(t, err)
	Add(out, []int8{1, -1, 3, -3}, []int8{0, 0, 0, 0}, &p)
	require.Equal(t, []int8{1, -1, 2, -2}, out)
	// ReLU6 as a clamp: scale 6/127 on the output, zero point -128.
	p, err = NewAddParams(0.1, 0, 0.1, 0, 6.0/255, -128, -128, 127)
	require.NoError(t, err)
	Add(out, []int8{-50, 10, 100, 0}, []int8{0, 0, 100, 0}, &p)
	require.Equal(t, int8(-128), out[0])
	require.Equal(t, int8(-128+43), out[1]) // 1.0 / (6/255) = 42.5 -> 43
	require.Equal(t, int8(127), out[2])
}

func TestNewAddParamsRejectsBadScales(t *testing.T) {
	for name, c := range map[string][7]float64{ // s1, z1, s2, z2, sOut, zOut, actMin
		"zero scale":   {0, 0, 1, 0, 1, 0, -128},
		"nan scale":    {1, 0, math.NaN(), 0, 1, 0, -128},
		"inf scale":    {1, 0, 1, 0, math.Inf(1), 0, -128},
		"zero point":   {1, 200, 1, 0, 1, 0, -128},
		"clamp":        {1, 0, 1, 0, 1, 0, 127.5},
		"tiny output":  {1, 0, 1, 0, 1e-7, 0, -128},
		"output zero":  {1, 0, 1, 0, 1, -129, -128},
		"second zero":  {1, 0, 1, 128, 1, 0, -128},
		"second scale": {1, 0, -1, 0, 1, 0, -128},
	} {
		actMax := int32(127)
		if name == "clamp" {
			actMax = 0
			c[6] = 1
		}
		_, err := NewAddParams(c[0], int32(c[1]), c[2], int32(c[3]), c[4], int32(c[5]), int32(c[6]), actMax)
		require.Error(t, err, name)
	}
}
