package infer

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
	quant8 "github.com/edgecnn/edgecnn/quantize"
	"github.com/edgecnn/edgecnn/train"
)

// mobileNet returns a random MobileNet (arch, alpha) at size x size (see
// testmodels.Preset; with fitBN false, PresetInit) and its int8 model,
// calibrated (min/max) on n random smooth images.
func mobileNet(t testing.TB, arch string, alpha float64, size, n int, fitBN bool) (float, q *model.Model) {
	t.Helper()
	preset := testmodels.PresetInit
	if fitBN {
		preset = testmodels.Preset
	}
	m, err := preset(arch, alpha, size, 2, 1)
	require.NoError(t, err)
	ds := &dataset.Dataset{Dir: "smooth", ClassNames: m.Labels, Height: size, Width: size,
		Pixels: testmodels.SmoothImages(rand.New(rand.NewPCG(2, 2)), n, size, size)}
	for i := range n {
		ds.Labels = append(ds.Labels, int32(i%2))
		ds.Files = append(ds.Files, fmt.Sprintf("smooth-%d", i))
	}
	net, err := train.FromModel(m)
	require.NoError(t, err)
	defer net.Close()
	tab, err := calib.Calibrate(net, m, ds, calib.Options{Method: calib.MinMax, Warn: func(string) {}})
	require.NoError(t, err)
	q, _, err = quant8.Quantize(m, tab, quant8.Options{})
	require.NoError(t, err)
	return m, q
}

// TestMobileNetV2Arena plans mobilenet-v2-0.35 (float and int8) at 96, 128
// and 224 pixels and requires the arena within 1.1x of the lower bound,
// the most bytes of tensors alive at one step, which the test computes from
// the graph itself: a tensor lives from the layer that writes it to its
// last reader (a residual's input until its Add).
func TestMobileNetV2Arena(t *testing.T) {
	for _, size := range []int{96, 128, 224} {
		float, q := mobileNet(t, "mobilenet-v2", 0.35, size, 2, false)
		for _, m := range []*model.Model{float, q} {
			r, err := Load(m, Options{})
			require.NoError(t, err)
			s := r.Summary()
			bound := liveBound(t, m)
			t.Logf("mobilenet-v2-0.35@%d %s: arena %d bytes, lower bound %d (%.3fx), naive %d", size, m.DType, s.ArenaBytes, bound, float64(s.ArenaBytes)/float64(bound), s.NaiveBytes)
			require.Equal(t, bound, s.ArenaLowerBound, "the runtime's bound")
			require.LessOrEqual(t, float64(s.ArenaBytes), 1.1*float64(bound))
			r.Close()
		}
	}
}

// liveBound is the largest sum of the sizes of the tensors alive at once
// while m runs layer after layer: each computing layer's output lives from
// its layer to its last reader (the head for the last); Flatten and
// Dropout pass their input on; float BatchNormalization and ReLU layers
// that are their input's only reader work in place.
func liveBound(t *testing.T, m *model.Model) int {
	g, err := m.Graph()
	require.NoError(t, err)
	elem := 4
	if m.DType == model.Int8 {
		elem = 1
	}
	readers := make([]int, len(m.Layers)+1)
	for _, in := range g {
		for _, j := range in {
			readers[j+1]++
		}
	}
	// owner[i] is the layer whose tensor layer i's output is (-1: input).
	owner := make([]int, len(m.Layers))
	size := map[int]int{-1: 3 * m.Input.Height * m.Input.Width * elem}
	first, last := map[int]int{-1: 0}, map[int]int{-1: 0}
	step := 0
	for i, l := range m.Layers {
		src := g[i][0]
		srcOwner := src
		if src >= 0 {
			srcOwner = owner[src]
		}
		passOn := l.Type == model.Flatten || l.Type == model.Dropout
		inPlace := (l.Type == model.BatchNormalization || l.Type == model.ReLULayer) && readers[src+1] == 1 &&
			(src < 0 || (m.Layers[src].Type != model.Flatten && m.Layers[src].Type != model.Dropout))
		if passOn {
			owner[i] = srcOwner
			continue
		}
		step++
		for _, j := range g[i] {
			o := j
			if j >= 0 {
				o = owner[j]
			}
			last[o] = step
		}
		if inPlace {
			owner[i] = srcOwner
			continue
		}
		owner[i] = i
		n := elem
		for _, d := range l.OutputShape {
			n *= d
		}
		size[i], first[i], last[i] = n, step, step
	}
	last[owner[len(m.Layers)-1]] = step + 1
	best := 0
	for s := 0; s <= step+1; s++ {
		sum := 0
		for o, n := range size {
			if first[o] <= s && s <= last[o] {
				sum += n
			}
		}
		best = max(best, sum)
	}
	return best
}

// TestMobileNetV2NoAllocs requires a frame of mobilenet-v2-0.35 at 96
// pixels, int8 and float, with one and two threads, to allocate nothing.
func TestMobileNetV2NoAllocs(t *testing.T) {
	float, q := mobileNet(t, "mobilenet-v2", 0.35, 96, 16, true)
	rgb := testmodels.SmoothImages(rand.New(rand.NewPCG(3, 3)), 1, 96, 96)
	for _, m := range []*model.Model{q, float} {
		for _, threads := range []int{1, 2} {
			r, err := Load(m, Options{Threads: threads})
			require.NoError(t, err)
			_, err = r.Run(rgb)
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := r.Run(rgb); err != nil {
					t.Fatal(err)
				}
			})
			require.Zero(t, allocs, "%s, %d threads", m.DType, threads)
			r.Close()
		}
	}
}
