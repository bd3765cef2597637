package infer

import (
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// withProbe stores an RGB probe in m with the given expected probabilities.
func withProbe(m *model.Model, name string, rgb []byte, probs []float64, tol float32) {
	p := model.Probe{Input: name, Tolerance: tol}
	for _, v := range probs {
		p.Probabilities = append(p.Probabilities, float32(v))
	}
	img := make([]int8, len(rgb))
	for i, v := range rgb {
		img[i] = int8(v)
	}
	m.AddTensor(model.NewInt8(name, []int{m.Input.Height, m.Input.Width, 3}, img))
	m.Probes = append(m.Probes, p)
}

// TestSelfCheck stores probes whose expected outputs come from the
// reference operators: they pass, and a wrong expectation fails naming the
// probe and the numbers.
func TestSelfCheck(t *testing.T) {
	s := shapeStacks()[1]
	canonical, packed := int8Models(t, s, 21)
	rng := rand.New(rand.NewPCG(21, 21))
	for i, name := range []string{"probe/car", "probe/truck"} {
		rgb := randomRGB(rng, s.h*s.w*3)
		_, probs := oracleInt8(t, canonical, rgb)
		if i == 1 {
			probs[0] += 0.25
		}
		withProbe(packed, name, rgb, probs, 1e-5)
	}
	r, err := Load(packed, Options{Threads: 2})
	require.NoError(t, err)
	defer r.Close()
	err = r.SelfCheck()
	require.ErrorContains(t, err, "probe 1 (probe/truck)")
	require.ErrorContains(t, err, `probability of "class0"`)

	packed.Probes = packed.Probes[:1]
	require.NoError(t, r.SelfCheck())

	packed.Probes[0].Probabilities = packed.Probes[0].Probabilities[:2]
	require.ErrorContains(t, r.SelfCheck(), "2 stored probabilities for 3 labels")
}
