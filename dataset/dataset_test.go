package dataset

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
	"github.com/edgecnn/edgecnn/preprocess"
)

// collectWarnings returns a Warn func and the slice it appends to.
func collectWarnings() (func(string), *[]string) {
	var msgs []string
	return func(m string) { msgs = append(msgs, m) }, &msgs
}

func TestFromDirectoryFormatsLabelsAndOrder(t *testing.T) {
	dir := t.TempDir()
	red := color.NRGBA{200, 10, 20, 255}
	green := color.NRGBA{10, 200, 30, 255}
	blue := color.NRGBA{0, 0, 255, 255}
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{blue})
	// Class folders are sorted by name, files by path, subfolders included.
	imagefiletest.Write(t, filepath.Join(dir, "zebra", "b.bmp"), solid(5, 3, green))
	imagefiletest.Write(t, filepath.Join(dir, "zebra", "a.gif"), pal)
	imagefiletest.Write(t, filepath.Join(dir, "apple", "x.png"), solid(5, 3, red))
	imagefiletest.Write(t, filepath.Join(dir, "apple", "sub", "y.jpg"), solid(5, 3, green))
	imagefiletest.Write(t, filepath.Join(dir, "mango", "m.PNG"), solid(5, 3, blue))
	writeFile(t, filepath.Join(dir, "mango", "notes.txt"), "not an image; ignored like Keras")
	writeFile(t, filepath.Join(dir, "README"), "a file beside the class folders")

	warn, msgs := collectWarnings()
	d, err := FromDirectory(dir, Options{Height: 3, Width: 5, Warn: warn})
	require.NoError(t, err)
	require.Empty(t, *msgs)
	require.Equal(t, []string{"apple", "mango", "zebra"}, d.ClassNames)
	require.Equal(t, []int32{0, 0, 1, 2, 2}, d.Labels)
	rel := make([]string, d.Len())
	for i, f := range d.Files {
		rel[i], _ = filepath.Rel(dir, f)
	}
	require.Equal(t, []string{"apple/sub/y.jpg", "apple/x.png", "mango/m.PNG", "zebra/a.gif", "zebra/b.bmp"}, rel)
	require.Equal(t, []int{2, 1, 2}, d.ClassCounts())
	require.Len(t, d.Pixels, 5*3*5*3)

	exact := map[int]color.NRGBA{1: red, 2: blue, 3: blue, 4: green}
	for i, c := range exact {
		img := d.Image(i)
		for p := 0; p < len(img); p += 3 {
			require.Equal(t, []uint8{c.R, c.G, c.B}, img[p:p+3], "%s pixel %d", rel[i], p/3)
		}
	}
	for p, v := range d.Image(0) { // JPEG: lossy
		require.InDelta(t, []uint8{green.R, green.G, green.B}[p%3], v, 4, "jpeg byte %d", p)
	}
}

func TestFromDirectoryResizesWithPreprocess(t *testing.T) {
	src := gradient(40, 30)
	for _, method := range []string{preprocess.Bilinear, preprocess.Nearest} {
		dir := t.TempDir()
		imagefiletest.Write(t, filepath.Join(dir, "a", "g.png"), src)
		imagefiletest.Write(t, filepath.Join(dir, "b", "g.png"), src)
		d, err := FromDirectory(dir, Options{Height: 8, Width: 12, Interpolation: method})
		require.NoError(t, err)
		want := make([]byte, 12*8*3)
		preprocess.ResizeImage(want, 12, 8, src, method, nil, make([]byte, 40*30*3))
		require.Equal(t, want, d.Image(0), method)
		require.Equal(t, want, d.Image(1), method)
	}
}

func TestFromDirectoryCorruptFile(t *testing.T) {
	dir := twoClassDir(t, 3)
	bad := filepath.Join(dir, "b", "broken.jpg")
	writeFile(t, bad, "this is not a JPEG")
	truncated := filepath.Join(dir, "a", "zz.png")
	full, err := os.ReadFile(filepath.Join(dir, "a", name(0)))
	require.NoError(t, err)
	writeFile(t, truncated, string(full[:len(full)/2]))

	warn, msgs := collectWarnings()
	d, err := FromDirectory(dir, Options{Height: 4, Width: 6, Warn: warn})
	require.NoError(t, err)
	require.Equal(t, 2, d.Skipped)
	require.Equal(t, 6, d.Len())
	require.Len(t, *msgs, 2)
	require.Contains(t, (*msgs)[0], truncated)
	require.Contains(t, (*msgs)[1], bad)
	for _, f := range d.Files {
		require.NotEqual(t, bad, f)
	}
	require.Equal(t, []int32{0, 0, 0, 1, 1, 1}, d.Labels)

	_, err = FromDirectory(dir, Options{Height: 4, Width: 6, Strict: true})
	require.ErrorContains(t, err, truncated)
	require.ErrorContains(t, err, "cannot decode")
}

// An image whose header claims more pixels than imagefile.MaxPixels is
// skipped (or an error when strict) without being decoded.
func TestFromDirectoryRefusesHugeImages(t *testing.T) {
	dir := twoClassDir(t, 2)
	huge := filepath.Join(dir, "a", "huge.png")
	writeFile(t, huge, string(imagefiletest.PNGHeader(50000, 40000)))

	warn, msgs := collectWarnings()
	d, err := FromDirectory(dir, Options{Height: 4, Width: 6, Warn: warn})
	require.NoError(t, err)
	require.Equal(t, 1, d.Skipped)
	require.Equal(t, 4, d.Len())
	require.Equal(t, []string{"skipping " + huge + ": image 50000x40000 is 1907.3M pixels: too many pixels (the limit is 64.0M, --max-pixels)"}, *msgs)

	_, err = FromDirectory(dir, Options{Height: 4, Width: 6, Strict: true})
	require.ErrorIs(t, err, imagefile.ErrTooLarge)
	require.ErrorContains(t, err, huge)

	// The limit is imagefile's: lowered under the 6x4 images, every one is refused.
	old, err := imagefile.SetMaxPixels(23)
	require.NoError(t, err)
	defer imagefile.SetMaxPixels(old)
	_, err = FromDirectory(dir, Options{Height: 4, Width: 6, Warn: func(string) {}})
	require.ErrorContains(t, err, "no image could be decoded (5 skipped)")
}

func TestFromDirectoryFollowsLinkedClassFolders(t *testing.T) {
	photos := twoClassDir(t, 2)
	dir := t.TempDir()
	for _, class := range []string{"a", "b"} {
		require.NoError(t, os.Symlink(filepath.Join(photos, class), filepath.Join(dir, class)))
	}
	d, err := FromDirectory(dir, Options{Height: 4, Width: 6, Strict: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, d.ClassNames)
	require.Equal(t, []string{filepath.Join(dir, "a", "aa.png"), filepath.Join(dir, "a", "ab.png"),
		filepath.Join(dir, "b", "aa.png"), filepath.Join(dir, "b", "ab.png")}, d.Files)
}

func TestFromDirectoryErrors(t *testing.T) {
	opt := Options{Height: 4, Width: 4, Warn: func(string) {}}
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := FromDirectory(missing, opt)
	require.ErrorContains(t, err, missing)

	empty := t.TempDir()
	_, err = FromDirectory(empty, opt)
	require.ErrorContains(t, err, empty)
	require.ErrorContains(t, err, "no class subfolders")

	single := t.TempDir()
	imagefiletest.Write(t, filepath.Join(single, "only", "x.png"), solid(2, 2, color.NRGBA{A: 255}))
	_, err = FromDirectory(single, opt)
	require.ErrorContains(t, err, single)
	require.ErrorContains(t, err, "only one class")

	emptyClass := twoClassDir(t, 1)
	require.NoError(t, os.Mkdir(filepath.Join(emptyClass, "c"), 0o755))
	_, err = FromDirectory(emptyClass, opt)
	require.ErrorContains(t, err, filepath.Join(emptyClass, "c"))
	require.ErrorContains(t, err, "no images")

	allBad := t.TempDir()
	writeFile(t, filepath.Join(allBad, "a", "x.png"), "junk")
	writeFile(t, filepath.Join(allBad, "b", "y.png"), "junk")
	_, err = FromDirectory(allBad, opt)
	require.ErrorContains(t, err, "no image could be decoded (2 skipped)")

	good := twoClassDir(t, 1)
	_, err = FromDirectory(good, Options{Height: 4, Width: 4, ValidationSplit: 0.2, Subset: Validation})
	require.ErrorContains(t, err, "leaves the validation subset empty")
	for _, bad := range []Options{
		{Height: 0, Width: 4},
		{Height: 4, Width: 4, Interpolation: "bicubic"},
		{Height: 4, Width: 4, ValidationSplit: 0.2},
		{Height: 4, Width: 4, ValidationSplit: 0.2, Subset: "test"},
		{Height: 4, Width: 4, ValidationSplit: 1},
		{Height: 4, Width: 4, Subset: Training},
	} {
		_, err := FromDirectory(good, bad)
		require.Error(t, err, "%+v", bad)
		require.ErrorContains(t, err, good)
	}
}

func TestValidationSplit(t *testing.T) {
	dir := twoClassDir(t, 10)
	load := func(subset string, seed int64) *Dataset {
		d, err := FromDirectory(dir, Options{Height: 4, Width: 6, ValidationSplit: 0.25, Subset: subset, Seed: seed})
		require.NoError(t, err)
		return d
	}
	train, valid := load(Training, 3), load(Validation, 3)
	require.Equal(t, 15, train.Len())
	require.Equal(t, 5, valid.Len(), "int(0.25 * 20)")
	seen := map[string]bool{}
	for _, f := range append(append([]string{}, train.Files...), valid.Files...) {
		require.False(t, seen[f], "%s in both subsets", f)
		seen[f] = true
	}
	require.Len(t, seen, 20)
	require.True(t, sortedStrings(train.Files) && sortedStrings(valid.Files), "subsets keep the sorted order")

	require.Equal(t, valid.Files, load(Validation, 3).Files, "same seed, same split")
	require.NotEqual(t, valid.Files, load(Validation, 4).Files, "another seed, another split")
	for i, f := range valid.Files { // labels follow their files
		require.Equal(t, strings.Contains(f, string(filepath.Separator)+"b"+string(filepath.Separator)), valid.Labels[i] == 1)
	}
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] < s[i-1] {
			return false
		}
	}
	return true
}

func TestWorkersDoNotChangeTheResult(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 12; i++ {
		imagefiletest.Write(t, filepath.Join(dir, []string{"a", "b", "c"}[i%3], name(i)), gradient(9+i, 7+i))
	}
	one, err := FromDirectory(dir, Options{Height: 5, Width: 5, Workers: 1})
	require.NoError(t, err)
	many, err := FromDirectory(dir, Options{Height: 5, Width: 5, Workers: 5})
	require.NoError(t, err)
	require.Equal(t, one, many)
}

func TestSubsample(t *testing.T) {
	dir := twoClassDir(t, 8)
	imagefiletest.Write(t, filepath.Join(dir, "c", "x.png"), solid(6, 4, color.NRGBA{100, 0, 0, 255}))
	d, err := FromDirectory(dir, Options{Height: 4, Width: 6})
	require.NoError(t, err)

	s := d.Subsample(7, 1)
	require.Equal(t, 7, s.Len())
	require.Equal(t, []int{3, 3, 1}, s.ClassCounts(), "balanced; the class with one image gives it")
	require.Equal(t, s, d.Subsample(7, 1), "seeded")
	require.NotEqual(t, s.Files, d.Subsample(7, 2).Files)
	index := map[string]int{}
	for i, f := range d.Files {
		index[f] = i
	}
	for i, f := range s.Files {
		j, ok := index[f]
		require.True(t, ok)
		require.Equal(t, d.Labels[j], s.Labels[i])
		require.Equal(t, d.Image(j), s.Image(i))
	}
	s.Pixels[0]++
	require.NotEqual(t, s.Pixels[0], d.Image(index[s.Files[0]])[0], "a copy, not an alias")

	require.Equal(t, d.Len(), d.Subsample(100, 1).Len())
}

// TestCarTruckValid loads the real CIFAR-10 car/truck validation set.
func TestCarTruckValid(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "car-truck", "valid")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real data not found at %s (see /work/shared/data/README.md)", dir)
	}
	d, err := FromDirectory(dir, Options{Height: 32, Width: 32, Strict: true})
	require.NoError(t, err)
	require.Equal(t, []string{"Car", "Truck"}, d.ClassNames)
	require.Equal(t, []int{1000, 1000}, d.ClassCounts())
	require.Zero(t, d.Skipped)
	require.Len(t, d.Pixels, 2000*32*32*3)
}

func BenchmarkFromDirectoryCarTruckValid(b *testing.B) {
	dir := filepath.Join("..", "..", "shared", "data", "car-truck", "valid")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("real data not found at %s", dir)
	}
	for _, size := range []int{32, 128} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) {
			n := 0
			for b.Loop() {
				d, err := FromDirectory(dir, Options{Height: size, Width: size})
				require.NoError(b, err)
				n += d.Len()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
