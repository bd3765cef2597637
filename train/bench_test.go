package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/model"
)

// benchConv times one Conv2D layer (64 images, 16x16x64 -> 16x16x128, k3
// same, relu) forward or forward+backward.
func benchConv(b *testing.B, backward bool) {
	n, err := newSequential("bench", 16, 16, 64, []layer{newConv2D(128, 3, 3, 1, 1, model.Same, model.ReLU)})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 64
	x := randomInput(n, batch, 1)
	n.forward(x, batch, true, nil)
	for i := range n.grads[0] {
		n.grads[0][i] = 1e-3
	}
	dx := make([]float32, len(x))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.forward(x, batch, true, nil)
		if backward {
			n.backward(x, batch, dx)
		}
	}
	macs := float64(batch * 16 * 16 * 128 * 9 * 64)
	if backward {
		macs *= 3
	}
	b.ReportMetric(float64(b.N)*2*macs/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkConvForward(b *testing.B)         { benchConv(b, false) }
func BenchmarkConvForwardBackward(b *testing.B) { benchConv(b, true) }

// benchTrain times training steps of a preset at 32x32, batch 64, on
// GOMAXPROCS workers (edgecnn bench train --arch NAME --image-size 32), and
// reports images per second and the allocations per step.
func benchTrain(b *testing.B, arch string, alpha float64) {
	n, err := PresetAlpha(arch, alpha, 32, 32, 3, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	const batch = 64
	step, err := n.syntheticStep(batch)
	if err != nil {
		b.Fatal(err)
	}
	step()
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkTrainSeedExercise32(b *testing.B)    { benchTrain(b, "seed-exercise", 0) }
func BenchmarkTrainSeedTutorial32(b *testing.B)    { benchTrain(b, "seed-tutorial", 0) }
func BenchmarkTrainMobileNetV2035x32(b *testing.B) { benchTrain(b, "mobilenet-v2", 0.35) }
func BenchmarkTrainMobileNetV1025x32(b *testing.B) { benchTrain(b, "mobilenet-v1", 0.25) }

// BenchmarkIm2col times im2col and col2im for one sample of the presets'
// convolutions at 32x32 (3x3 'same', and the 5x5 first layer).
func BenchmarkIm2col(b *testing.B) {
	for _, s := range [][3]int{{32, 3, 3}, {16, 32, 3}, {8, 64, 3}, {8, 128, 3}, {32, 3, 5}} {
		hw, c, k := s[0], s[1], s[2]
		cv := newConv2D(8, k, k, 1, 1, model.Same, model.ReLU)
		if err := cv.build(shape{H: hw, W: hw, C: c}, rand.New(rand.NewPCG(1, 2))); err != nil {
			b.Fatal(err)
		}
		in, din := make([]float32, cv.in.size()), make([]float32, cv.in.size())
		col := make([]float32, cv.out.H*cv.out.W*cv.k())
		gbps := func(b *testing.B) {
			b.ReportMetric(float64(b.N*len(col)*4)/b.Elapsed().Seconds()/1e9, "GB/s")
		}
		b.Run(fmt.Sprintf("im2col-%dx%dx%d-k%d", hw, hw, c, k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				im2col(col, in, cv.in, cv.out, &cv.window)
			}
			gbps(b)
		})
		b.Run(fmt.Sprintf("col2im-%dx%dx%d-k%d", hw, hw, c, k), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				col2im(din, col, cv.in, cv.out, &cv.window)
			}
			gbps(b)
		})
	}
}
