package dataset

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
)

// loadTwoClass loads twoClassDir(n) at its native 6x4 size.
func loadTwoClass(t testing.TB, n int) *Dataset {
	d, err := FromDirectory(twoClassDir(t, n), Options{Height: 4, Width: 6})
	require.NoError(t, err)
	return d
}

// epoch collects one epoch: every batch's inputs and labels, concatenated.
func epoch(b *Batches, e int, d *Dataset) (x []float32, y []int32, sizes []int) {
	b.Reset(e)
	bx := make([]float32, b.BatchSize()*d.ImageSize())
	by := make([]int32, b.BatchSize())
	for {
		n := b.Next(bx, by)
		if n == 0 {
			return x, y, sizes
		}
		x = append(x, bx[:n*d.ImageSize()]...)
		y = append(y, by[:n]...)
		sizes = append(sizes, n)
	}
}

func TestBatchesWithoutShuffleFollowTheDataset(t *testing.T) {
	d := loadTwoClass(t, 5)
	b := d.Batches(4, false, 1, nil, 1.0/255, -0.5)
	require.Equal(t, 3, b.Steps())
	x, y, sizes := epoch(b, 0, d)
	require.Equal(t, []int{4, 4, 2}, sizes, "the last batch is short")
	require.Equal(t, d.Labels, y)
	for i, p := range d.Pixels {
		require.InDelta(t, float32(p)/255-0.5, x[i], 1e-6)
	}
}

func TestBatchesShuffleIsSeededPerEpoch(t *testing.T) {
	d := loadTwoClass(t, 10)
	b := d.Batches(3, true, 42, nil, 1, 0)
	x0, y0, _ := epoch(b, 0, d)
	x1, _, _ := epoch(b, 1, d)
	require.NotEqual(t, x0, x1, "each epoch has its own order")
	again, yAgain, _ := epoch(d.Batches(3, true, 42, nil, 1, 0), 0, d)
	require.Equal(t, x0, again, "same seed and epoch, same batches")
	require.Equal(t, y0, yAgain)
	replay, _, _ := epoch(b, 0, d)
	require.Equal(t, x0, replay, "Reset replays an epoch")
	other, _, _ := epoch(d.Batches(3, true, 43, nil, 1, 0), 0, d)
	require.NotEqual(t, x0, other)

	// Every image appears exactly once per epoch, with its own label: each
	// fixture image has a unique red value (see twoClassDir).
	seen := map[float32]int32{}
	for i, label := range y0 {
		red := x0[i*d.ImageSize()]
		_, dup := seen[red]
		require.False(t, dup, "image with red %v twice", red)
		seen[red] = label
		require.Equal(t, red >= 200, label == 1)
	}
	require.Len(t, seen, d.Len())
}

func TestBatchesAugmentationIsSeeded(t *testing.T) {
	d, err := FromDirectory(gradientDir(t, 6), Options{Height: 8, Width: 10})
	require.NoError(t, err)
	aug := &Augment{FlipHorizontal: true, Contrast: 0.3, Brightness: 0.2, Translate: 0.2}
	x0, _, _ := epoch(d.Batches(4, true, 9, aug, 1.0/255, 0), 0, d)
	x0again, _, _ := epoch(d.Batches(4, true, 9, aug, 1.0/255, 0), 0, d)
	x1, _, _ := epoch(d.Batches(4, true, 9, aug, 1.0/255, 0), 1, d)
	plain, _, _ := epoch(d.Batches(4, true, 9, nil, 1.0/255, 0), 0, d)
	require.Equal(t, x0, x0again)
	require.NotEqual(t, x0, x1)
	require.NotEqual(t, x0, plain)
	for _, v := range x0 {
		require.True(t, v >= 0 && v <= 1, "clipped to the pixel range: %v", v)
	}
}

func TestBatchesAllocateNothing(t *testing.T) {
	d, err := FromDirectory(gradientDir(t, 6), Options{Height: 8, Width: 10})
	require.NoError(t, err)
	b := d.Batches(4, true, 1, &Augment{FlipHorizontal: true, Contrast: 0.2, Brightness: 0.1, Translate: 0.1}, 1.0/255, 0)
	x := make([]float32, 4*d.ImageSize())
	y := make([]int32, 4)
	e := 0
	allocs := testing.AllocsPerRun(10, func() {
		if b.Next(x, y) == 0 {
			e++
			b.Reset(e)
		}
	})
	require.Zero(t, allocs)
}

func TestBatchesPanicOnSmallBuffers(t *testing.T) {
	d := loadTwoClass(t, 2)
	b := d.Batches(2, false, 1, nil, 1, 0)
	require.Panics(t, func() { b.Next(make([]float32, 2*d.ImageSize()-1), make([]int32, 2)) })
	require.Panics(t, func() { d.Batches(0, false, 1, nil, 1, 0) })
}

// gradientDir writes n distinct gradient images, alternating two classes.
func gradientDir(t testing.TB, n int) string {
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		imagefiletest.Write(t, filepath.Join(dir, []string{"a", "b"}[i%2], name(i)), gradient(10+i, 8+i))
	}
	return dir
}

func BenchmarkBatchesAugmented(b *testing.B) {
	d, err := FromDirectory(gradientDir(b, 64), Options{Height: 32, Width: 32})
	require.NoError(b, err)
	bs := d.Batches(32, true, 1, &Augment{FlipHorizontal: true, Contrast: 0.2, Brightness: 0.1, Translate: 0.1}, 1.0/255, 0)
	x := make([]float32, 32*d.ImageSize())
	y := make([]int32, 32)
	for b.Loop() {
		if bs.Next(x, y) == 0 {
			bs.Reset(0)
		}
	}
}
