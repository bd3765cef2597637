package kernel

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchNet is a layer sequence run through the exported kernels with random
// weights, so the instruction counter (scripts/bench-arm64.sh) can measure a
// whole int8 forward pass before the runtime exists.
type benchNet struct {
	steps  []func()
	macs   int
	in     []int8 // the network input, h x w x 3
	a, b   []int8 // activations: every layer reads one and writes the other
	h, w   int    // current geometry while building
	c      int
	flip   bool
	random *rand.Rand
}

func newBenchNet(size int) *benchNet {
	const maxAct = 128 * 128 * 64 // the largest activation of the presets at 128x128
	n := &benchNet{h: size, w: size, c: 3, random: rand.New(rand.NewSource(9))}
	n.a, n.b = make([]int8, max(maxAct, size*size*64)), make([]int8, max(maxAct, size*size*64))
	copy(n.a, randInt8s(n.random, size*size*3, -128, 127))
	return n
}

// bufs returns the current input and output activation buffers and swaps
// them for the next layer.
func (n *benchNet) bufs() (in, out []int8) {
	in, out = n.a, n.b
	if n.flip {
		in, out = n.b, n.a
	}
	n.flip = !n.flip
	return in, out
}

// conv adds a 'same' ReLU Conv2D with oc channels and a k x k kernel.
func (n *benchNet) conv(oc, k int) {
	s := sameShape(n.h, n.w, n.c, k, k, 1, 1, oc, true, -128)
	_, _, packed, rq := convInputs(n.random, &s, false)
	rq.ActMin = rq.OutZero
	rq.Prepare(packed, s.OC, s.K())
	scratch := make([]int8, ConvScratchLen(&s))
	in, out := n.bufs()
	n.steps = append(n.steps, func() { Conv(out, in, &s, packed, rq, scratch, 0, s.OH) })
	n.macs += s.OH * s.OW * s.OC * s.K()
	n.c = oc
}

// pool adds a 2x2 stride 2 MaxPool2D.
func (n *benchNet) pool() {
	h, w, c := n.h, n.w, n.c
	in, out := n.bufs()
	n.steps = append(n.steps, func() { MaxPool(out, in, h, w, c, 2, 2, 0, h/2) })
	n.h, n.w = h/2, w/2
}

// dense adds a Dense layer with units outputs on the flattened activations.
func (n *benchNet) dense(units int) {
	k := n.h * n.w * n.c
	w := randInt8s(n.random, units*k, -127, 127)
	packed := make([]int8, PackedLen(units, k))
	Pack(packed, w, units, k)
	rq := randRequant(n.random, units, false)
	in, out := n.bufs()
	n.steps = append(n.steps, func() { GEMM(out, units, in, PaddedK(k), 1, units, k, packed, rq) })
	n.macs += units * k
	n.h, n.w, n.c = 1, 1, units
}

func (n *benchNet) forward() {
	for _, step := range n.steps {
		step()
	}
}

// seedTutorial: Conv32k5 -> Pool -> Conv64k3 -> Pool -> Conv128k3 -> Pool ->
// Flatten -> Dense6 -> Dense1.
func seedTutorial(size int) *benchNet {
	n := newBenchNet(size)
	n.conv(32, 5)
	n.pool()
	n.conv(64, 3)
	n.pool()
	n.conv(128, 3)
	n.pool()
	n.dense(6)
	n.dense(1)
	return n
}

// seedExercise: Conv32k3 -> Pool -> Conv64k3 -> Pool -> Conv128k3 ->
// Conv128k3 -> Pool -> Flatten -> Dense6 -> Dense1 (Dropout vanishes).
func seedExercise(size int) *benchNet {
	n := newBenchNet(size)
	n.conv(32, 3)
	n.pool()
	n.conv(64, 3)
	n.pool()
	n.conv(128, 3)
	n.conv(128, 3)
	n.pool()
	n.dense(6)
	n.dense(1)
	return n
}

// benchmarkNet times forward passes. b.Loop runs the set-up once, so with
// -benchtime Nx the instruction count grows by exactly one pass per N.
func benchmarkNet(b *testing.B, n *benchNet) {
	for b.Loop() {
		n.forward()
	}
	b.ReportMetric(float64(n.macs), "MACs/op")
	b.ReportMetric(float64(n.macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// BenchmarkSeedTutorial128 runs the kernels of seed-tutorial at 128x128x3.
func BenchmarkSeedTutorial128(b *testing.B) { benchmarkNet(b, seedTutorial(128)) }

// BenchmarkSeedExercise128 runs the kernels of seed-exercise at 128x128x3.
func BenchmarkSeedExercise128(b *testing.B) { benchmarkNet(b, seedExercise(128)) }

func TestBenchNetMACs(t *testing.T) {
	// The conv MACs match XNNPACK's table (190316544 and 316145664) plus the
	// two Dense layers (16*16*128*6 + 6).
	if testing.Short() {
		t.Skip("builds 128x128 networks")
	}
	require.Equal(t, 190316544+196614, seedTutorial(128).macs)
	require.Equal(t, 316145664+196614, seedExercise(128).macs)
}
