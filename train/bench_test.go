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

// BenchmarkTrainSeedExercise32 is `edgecnn bench train --arch seed-exercise
// --image-size 32` as a Go benchmark.
func BenchmarkTrainSeedExercise32(b *testing.B) {
	n, err := Preset("seed-exercise", 32, 32, 3, 2)
	if err != nil {
		b.Fatal(err)
	}
	ips, err := n.TrainThroughput(64, 2, max(b.N, 5))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(ips, "images/s")
}

func BenchmarkTrainSeedTutorial32(b *testing.B) {
	n, err := Preset("seed-tutorial", 32, 32, 3, 2)
	if err != nil {
		b.Fatal(err)
	}
	ips, err := n.TrainThroughput(64, 2, max(b.N, 5))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(ips, "images/s")
}
