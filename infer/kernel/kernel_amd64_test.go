//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

func TestSelectionFollowsCPUFeatures(t *testing.T) {
	want := "generic"
	if cpu.X86.HasAVX2 {
		want = "avx2"
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI {
		want = "avx512vnni"
	}
	require.Equal(t, want, Impl())
	require.Equal(t, "generic", implementations[0].name)
}

func TestPrepareSetsAsideWhatTheTileKernelsRead(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for _, c := range []struct{ n, padded int }{{8, 2}, {16, 2}, {17, 3}, {40, 4}, {48, 4}, {64, 4}} {
		const k = 27
		packed := make([]int8, PackedLen(c.n, k))
		Pack(packed, randInt8s(r, c.n*k, -127, 127), c.n, k)
		rq := randRequant(r, c.n, false)
		prepareVNNI(rq, packed, c.n, k)
		require.Equal(t, c.padded*groupWidth*PaddedK(k), len(rq.prepared.weights), "n=%d", c.n)
		require.Equal(t, c.padded*groupWidth*PaddedK(k)+c.padded*448, rq.PreparedBytes(), "n=%d", c.n)
		prepareWide(rq, packed, c.n, k)
		groups := (c.n + groupWidth - 1) / groupWidth
		require.Equal(t, groups*groupWidth*PaddedK(k), len(rq.prepared.wide), "n=%d", c.n)
		require.Equal(t, 2*groups*groupWidth*PaddedK(k)+groups*448, rq.PreparedBytes(), "n=%d", c.n)
		rq.Multiplier[c.n-1] = math.MinInt32 // outside Requant's range: only convAVX2 saturates it
		prepareVNNI(rq, packed, c.n, k)
		require.Zero(t, rq.PreparedBytes())
		prepareWide(rq, packed, c.n, k)
		require.Zero(t, rq.PreparedBytes())
	}
}
