package infer

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/stretchr/testify/require"
)

// randomRGB is n random bytes.
func randomRGB(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// int8Models builds stack s as an int8 model twice from one seed: weights
// in the canonical layout (the oracle reads it; the runtime repacks it) and
// packed for this build's kernels (used in place).
func int8Models(t *testing.T, s stack, seed int64) (canonical, packed *model.Model) {
	t.Helper()
	canonical, err := randmodel.Int8(s.name, s.h, s.w, s.layers, randmodel.Options{Seed: seed, Layout: CanonicalLayout})
	require.NoError(t, err)
	packed, err = randmodel.Int8(s.name, s.h, s.w, s.layers, randmodel.Options{Seed: seed})
	require.NoError(t, err)
	return canonical, packed
}

// dequantizeAll dequantises int8 values as LayerOutputs does.
func dequantizeAll(v []int8, q model.QuantParams) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = q.Scale * float32(int32(x)-q.ZeroPoint)
	}
	return out
}

// TestInt8MatchesReference runs random int8 models of awkward shapes with
// the kernels, any thread count and either weight layout, and requires every
// layer's output to equal the reference operators' bit for bit.
func TestInt8MatchesReference(t *testing.T) {
	for i, s := range shapeStacks() {
		t.Run(s.name, func(t *testing.T) {
			canonical, packed := int8Models(t, s, int64(i+1))
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			rgb := randomRGB(rng, s.h*s.w*3)
			want, wantProbs := oracleInt8(t, canonical, rgb)
			for _, threads := range []int{1, 2, 3} {
				for _, m := range []*model.Model{canonical, packed} {
					r, err := Load(m, Options{Threads: threads})
					require.NoError(t, err)
					label := fmt.Sprintf("threads %d, layout %s", threads, m.Layers[len(m.Layers)-1].Quant.WeightLayout)
					last := len(m.Layers) - 1
					require.NoError(t, r.LayerOutputs(rgb, s.w, s.h, func(layer int, deq []float32) {
						if layer < last {
							require.Equal(t, dequantizeAll(want[layer], r.info[layer].Quant.Output), deq, "%s: layer %d", label, layer)
						}
					}))
					res, err := r.Run(rgb)
					require.NoError(t, err)
					require.Equal(t, want[last], r.head.q8, "%s: head", label)
					require.InDeltaSlice(t, wantProbs, toFloat64(res.Probabilities), 1e-6, label)
					r.Close()
				}
			}
		})
	}
}

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// TestInt8ResizesFrames feeds frames of other sizes: the runtime's fused
// resize-and-quantise must equal resizing first and quantising after.
func TestInt8ResizesFrames(t *testing.T) {
	s := shapeStacks()[1]
	canonical, packed := int8Models(t, s, 3)
	r, err := Load(packed, Options{Threads: 2})
	require.NoError(t, err)
	defer r.Close()
	rng := rand.New(rand.NewPCG(3, 3))
	for _, size := range [][2]int{{40, 30}, {7, 5}, {s.w, s.h}, {200, 9}} {
		frame := randomRGB(rng, size[0]*size[1]*3)
		resized := make([]byte, s.w*s.h*3)
		preprocess.ResizeRGB(resized, s.w, s.h, frame, size[0], size[1], size[0]*3, preprocess.Bilinear, nil)
		want, wantProbs := oracleInt8(t, canonical, resized)
		res, err := r.ClassifyRGB(frame, size[0], size[1])
		require.NoError(t, err)
		require.Equal(t, want[len(want)-1], r.head.q8, "frame %v", size)
		require.InDeltaSlice(t, wantProbs, toFloat64(res.Probabilities), 1e-6)
	}
}

// TestFloatMatchesStraightforward compares the float runtime (float32 and
// float16 weights, with BatchNormalization and Dropout) with a float64
// implementation of the layers.
func TestFloatMatchesStraightforward(t *testing.T) {
	stacks := append(shapeStacks(), stack{"batchnorm", 10, 12, []model.Layer{
		conv(8, 3, 1, same, reluAct), batchNorm(), maxPool(2, 2, valid), conv(6, 3, 2, same, lin), batchNorm(),
		flatten(), dense(12, reluAct), dropout(), dense(4, model.Softmax)}})
	for i, s := range stacks {
		for _, dtype := range []model.DType{model.Float32, model.Float16} {
			t.Run(s.name+"/"+string(dtype), func(t *testing.T) {
				m, err := randmodel.Float(s.name, s.h, s.w, s.layers, randmodel.Options{Seed: int64(i), DType: dtype})
				require.NoError(t, err)
				rgb := randomRGB(rand.New(rand.NewPCG(uint64(i), 9)), s.h*s.w*3)
				want, wantProbs := oracleFloat(t, m, rgb)
				for _, threads := range []int{1, 3} {
					r, err := Load(m, Options{Threads: threads})
					require.NoError(t, err)
					require.NoError(t, r.LayerOutputs(rgb, s.w, s.h, func(layer int, got []float32) {
						if layer == len(m.Layers)-1 {
							return
						}
						for j, g := range got {
							w := want[layer][j]
							require.InDelta(t, w, float64(g), 1e-4*(1+abs(w)), "layer %d value %d", layer, j)
						}
					}))
					res, err := r.Run(rgb)
					require.NoError(t, err)
					require.InDeltaSlice(t, wantProbs, toFloat64(res.Probabilities), 1e-5)
					r.Close()
				}
			})
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestNoAllocations requires classification to allocate nothing, single
// and multi-threaded, for frames of any size and common image types.
func TestNoAllocations(t *testing.T) {
	s := stack{"seed-exercise", 32, 32, seedExercise()}
	_, packed := int8Models(t, s, 5)
	float, err := randmodel.Float(s.name, s.h, s.w, s.layers, randmodel.Options{Seed: 5})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 5))
	frame := randomRGB(rng, 64*48*3)
	rgba := image.NewRGBA(image.Rect(0, 0, 50, 40))
	ycc := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for _, m := range []*model.Model{packed, float} {
		for _, threads := range []int{1, 3} {
			r, err := Load(m, Options{Threads: threads})
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := r.ClassifyRGB(frame, 64, 48); err != nil {
					t.Fatal(err)
				}
				if _, err := r.ClassifyImage(rgba); err != nil {
					t.Fatal(err)
				}
				if _, err := r.ClassifyImage(ycc); err != nil {
					t.Fatal(err)
				}
			})
			require.Zero(t, allocs, "%s model, %d threads", m.DType, threads)
			r.Close()
		}
	}
}

// TestResultsAgreeAcrossCalls runs one runtime again and again: the same
// frame gives the same answer, whatever ran in between.
func TestResultsAgreeAcrossCalls(t *testing.T) {
	s := shapeStacks()[4]
	_, packed := int8Models(t, s, 8)
	r, err := Load(packed, Options{Threads: 2})
	require.NoError(t, err)
	defer r.Close()
	rng := rand.New(rand.NewPCG(8, 8))
	a, b := randomRGB(rng, 30*20*3), randomRGB(rng, 30*20*3)
	first, err := r.ClassifyRGB(a, 30, 20)
	require.NoError(t, err)
	want := append([]float32(nil), first.Probabilities...)
	for range 5 {
		_, err := r.ClassifyRGB(b, 30, 20)
		require.NoError(t, err)
		again, err := r.ClassifyRGB(a, 30, 20)
		require.NoError(t, err)
		require.Equal(t, want, again.Probabilities)
		require.Equal(t, first.Class, again.Class)
	}
}

// TestClassifyErrors: bad frames and a closed runtime give errors.
func TestClassifyErrors(t *testing.T) {
	_, packed := int8Models(t, shapeStacks()[2], 2)
	r, err := Load(packed, Options{})
	require.NoError(t, err)
	_, err = r.ClassifyRGB(make([]byte, 10), 4, 4)
	require.ErrorContains(t, err, "not 4x4 RGB")
	_, err = r.ClassifyRGB(nil, 0, 3)
	require.Error(t, err)
	_, err = r.ClassifyImage(image.NewRGBA(image.Rectangle{}))
	require.ErrorContains(t, err, "empty image")
	r.Close()
	r.Close()
	_, err = r.ClassifyRGB(make([]byte, 48), 4, 4)
	require.ErrorIs(t, err, errClosed)
	_, err = Load(packed, Options{Threads: -1})
	require.Error(t, err)
}

// TestKernelPath names the kernels' implementation.
func TestKernelPath(t *testing.T) {
	require.Equal(t, kernel.Impl(), KernelPath())
	require.Contains(t, []string{"generic", "neon", "sdot", "avx2", "avx512vnni"}, KernelPath())
}
