package infer

import (
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/stretchr/testify/require"
)

// TestRawOutput: after each call RawOutput holds the reference operators'
// int8 head output for that frame, allocating nothing; float models have none.
func TestRawOutput(t *testing.T) {
	s := shapeStacks()[0]
	canonical, packed := int8Models(t, s, 11)
	r, err := Load(packed, Options{Threads: 2})
	require.NoError(t, err)
	defer r.Close()
	rng := rand.New(rand.NewPCG(11, 11))
	for range 3 {
		rgb := randomRGB(rng, s.h*s.w*3)
		want, _ := oracleInt8(t, canonical, rgb)
		_, err := r.Run(rgb)
		require.NoError(t, err)
		require.Equal(t, want[len(want)-1], r.RawOutput())
	}
	rgb := randomRGB(rng, s.h*s.w*3)
	require.Zero(t, testing.AllocsPerRun(5, func() {
		if _, err := r.Run(rgb); err != nil {
			t.Fatal(err)
		}
		_ = r.RawOutput()
	}))

	float, err := randmodel.Float(s.name, s.h, s.w, s.layers, randmodel.Options{Seed: 11})
	require.NoError(t, err)
	fr, err := Load(float, Options{})
	require.NoError(t, err)
	defer fr.Close()
	_, err = fr.Run(rgb)
	require.NoError(t, err)
	require.Nil(t, fr.RawOutput())
}
