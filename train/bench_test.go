package train

import (
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
func benchTrain(b *testing.B, arch string) {
	n, err := Preset(arch, 32, 32, 3, 2)
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

func BenchmarkTrainSeedExercise32(b *testing.B) { benchTrain(b, "seed-exercise") }
func BenchmarkTrainSeedTutorial32(b *testing.B) { benchTrain(b, "seed-tutorial") }
