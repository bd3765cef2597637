package infer

import (
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/model"
)

// benchmarkModel measures whole-model classification of one 128x128 frame
// with a random int8 model of the given layers, single-threaded.
func benchmarkModel(b *testing.B, name string, layers []model.Layer, threads int) {
	m, err := randmodel.Int8(name, 128, 128, layers, randmodel.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	r, err := Load(m, Options{Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	frame := randomRGB(rand.New(rand.NewPCG(1, 1)), 128*128*3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(frame); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
	b.ReportMetric(float64(r.Summary().MACs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

func BenchmarkSeedTutorial128(b *testing.B) { benchmarkModel(b, "seed-tutorial", seedTutorial(), 1) }
func BenchmarkSeedExercise128(b *testing.B) { benchmarkModel(b, "seed-exercise", seedExercise(), 1) }

// BenchmarkLoad measures what Load allocates for a seed-tutorial int8 model
// whose weights are packed for the kernels (used in place).
func BenchmarkLoad(b *testing.B) {
	m, err := randmodel.Int8("seed-tutorial", 128, 128, seedTutorial(), randmodel.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Load(m, Options{})
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
