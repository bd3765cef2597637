package dataset

import (
	"math/rand/v2"
	"sort"
)

// Subsample returns a class-balanced, seeded subset of n images (for
// calibration): images are drawn from the classes in turn, each class in a
// seeded random order, until n are taken or every class is exhausted. The
// chosen images keep their original order and are copied, so the result
// does not alias d.
func (d *Dataset) Subsample(n int, seed int64) *Dataset {
	rng := rand.New(rand.NewPCG(uint64(seed), subsampleStream))
	byClass := make([][]int, len(d.ClassNames))
	for i, l := range d.Labels {
		byClass[l] = append(byClass[l], i)
	}
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	}
	n = min(n, d.Len())
	chosen := make([]int, 0, n)
	for round := 0; len(chosen) < n; round++ {
		for _, idx := range byClass {
			if round < len(idx) && len(chosen) < n {
				chosen = append(chosen, idx[round])
			}
		}
	}
	sort.Ints(chosen)
	return d.subset(chosen)
}

// subset copies the images at indices into a new Dataset.
func (d *Dataset) subset(indices []int) *Dataset {
	s := &Dataset{
		Dir: d.Dir, ClassNames: d.ClassNames, Height: d.Height, Width: d.Width,
		Pixels: make([]uint8, 0, len(indices)*d.ImageSize()),
		Labels: make([]int32, 0, len(indices)),
		Files:  make([]string, 0, len(indices)),
	}
	for _, i := range indices {
		s.Pixels = append(s.Pixels, d.Image(i)...)
		s.Labels = append(s.Labels, d.Labels[i])
		s.Files = append(s.Files, d.Files[i])
	}
	return s
}
