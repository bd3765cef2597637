package dataset

import (
	"fmt"
	"math/rand/v2"
)

// Batches serves a Dataset as float32 NHWC batches, one epoch at a time,
// with a deterministic shuffle and augmentation for each (seed, epoch).
// Next allocates nothing.
type Batches struct {
	d             *Dataset
	size          int
	shuffle       bool
	seed          int64
	aug           *Augment
	scale, offset float32
	table         [256]float32 // p*scale + offset for every byte p
	order         []int
	pos           int
	shuffleSrc    *rand.PCG
	augSrc        *rand.PCG
	shuffleRNG    *rand.Rand
	augRNG        *rand.Rand
}

// Batches returns a batch iterator positioned at epoch 0. Pixels p become
// p*scale + offset (after augmentation, which works in [0, 255]). aug may be
// nil for none; it is copied.
func (d *Dataset) Batches(batchSize int, shuffle bool, seed int64, aug *Augment, scale, offset float32) *Batches {
	if batchSize <= 0 {
		panic(fmt.Sprintf("dataset: batch size %d must be positive", batchSize))
	}
	b := &Batches{
		d: d, size: batchSize, shuffle: shuffle, seed: seed,
		scale: scale, offset: offset,
		order:      make([]int, d.Len()),
		shuffleSrc: rand.NewPCG(0, 0),
		augSrc:     rand.NewPCG(0, 0),
	}
	if aug != nil && aug.enabled() {
		a := *aug
		b.aug = &a
	}
	b.shuffleRNG = rand.New(b.shuffleSrc)
	b.augRNG = rand.New(b.augSrc)
	for p := range b.table {
		b.table[p] = float32(p)*scale + offset
	}
	b.Reset(0)
	return b
}

// BatchSize is the number of samples in a full batch.
func (b *Batches) BatchSize() int { return b.size }

// Steps is the number of batches per epoch: ceil(N / batchSize).
func (b *Batches) Steps() int { return (b.d.Len() + b.size - 1) / b.size }

// Reset starts epoch: the order and augmentation are a function of (seed,
// epoch) only, so an epoch can be replayed.
func (b *Batches) Reset(epoch int) {
	b.pos = 0
	for i := range b.order {
		b.order[i] = i
	}
	b.shuffleSrc.Seed(uint64(b.seed), shuffleStream^uint64(epoch)<<32)
	b.augSrc.Seed(uint64(b.seed), augmentStream^uint64(epoch)<<32)
	if b.shuffle {
		b.shuffleRNG.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
	}
}

// Next fills x (NHWC float32, len >= batchSize*H*W*3) and y (len >=
// batchSize) with the next batch and returns its number of samples: the
// last batch of an epoch may be short, and 0 means the epoch is over.
// It panics if x or y is too small.
func (b *Batches) Next(x []float32, y []int32) int {
	n := min(b.size, len(b.order)-b.pos)
	if n <= 0 {
		return 0
	}
	size := b.d.ImageSize()
	if len(x) < n*size || len(y) < n {
		panic(fmt.Sprintf("dataset: batch of %d needs x of %d floats and y of %d labels, got %d and %d", n, n*size, n, len(x), len(y)))
	}
	for s := 0; s < n; s++ {
		i := b.order[b.pos+s]
		out := x[s*size : (s+1)*size]
		if b.aug != nil {
			t := b.aug.draw(b.augRNG, b.d.Height, b.d.Width)
			t.apply(out, b.d.Image(i), b.d.Height, b.d.Width, b.aug.FillZeros, b.scale, b.offset)
		} else {
			for k, p := range b.d.Image(i) {
				out[k] = b.table[p]
			}
		}
		y[s] = b.d.Labels[i]
	}
	b.pos += n
	return n
}
