package imagefile

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
)

// write creates path (and its folders) with content.
func write(t *testing.T, path string, content []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, content, 0o644))
}

// encoded is img in the format ext names.
func encoded(t *testing.T, img image.Image, ext string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, imagefiletest.Encode(&b, ext, img))
	return b.Bytes()
}

func TestIsImage(t *testing.T) {
	for _, name := range []string{"a.jpg", "b.JPEG", "dir/c.png", "d.Gif", "e.bmp"} {
		require.True(t, IsImage(name), name)
	}
	for _, name := range []string{"notes.txt", ".DS_Store", "jpg", "a.jpg.bak", "clip.avi"} {
		require.False(t, IsImage(name), name)
	}
}

func TestListSortsPathsAndSkipsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b/2.png", "a/1.JPG", "a-b/3.gif", "0.bmp", "a/notes.txt", ".DS_Store"} {
		write(t, filepath.Join(dir, name), nil)
	}
	files, err := List(dir)
	require.NoError(t, err)
	// Sorted as whole paths: "a-b/" before "a/", which a walk visits first.
	var want []string
	for _, name := range []string{"0.bmp", "a-b/3.gif", "a/1.JPG", "b/2.png"} {
		want = append(want, filepath.Join(dir, name))
	}
	require.Equal(t, want, files)
}

func TestListFollowsALinkedFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real", "x.png"), nil)
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("real", link))
	files, err := List(link)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(link, "x.png")}, files)
}

func TestListEmptyAndMissing(t *testing.T) {
	files, err := List(t.TempDir())
	require.NoError(t, err)
	require.Empty(t, files)
	_, err = List(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "missing")
}

func TestDecodeEveryFormat(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetNRGBA(1, 2, color.NRGBA{0, 0, 0, 255})
	dir := t.TempDir()
	for _, name := range []string{"a.png", "b.jpg", "c.gif", "d.bmp"} {
		path := filepath.Join(dir, name)
		imagefiletest.Write(t, path, img)
		got, err := Decode(path)
		require.NoError(t, err, name)
		require.Equal(t, img.Bounds(), got.Bounds(), name)
		r, _, _, _ := got.At(1, 2).RGBA()
		require.Less(t, r, uint32(0x2000), "%s: the dark pixel", name)
		r, _, _, _ = got.At(0, 0).RGBA()
		require.Greater(t, r, uint32(0xe000), "%s: a light pixel", name)
	}
}

func TestDecodeErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "note.jpg")
	write(t, notImage, []byte("this is not a JPEG"))
	_, err := Decode(notImage)
	require.ErrorContains(t, err, notImage+": cannot decode: not a JPEG, PNG, GIF or BMP image")

	full := encoded(t, image.NewGray(image.Rect(0, 0, 8, 8)), ".png")
	truncated := filepath.Join(dir, "cut.png")
	write(t, truncated, full[:len(full)/2])
	_, err = Decode(truncated)
	require.ErrorContains(t, err, truncated+": cannot decode: ")

	empty := filepath.Join(dir, "empty.bmp")
	write(t, empty, encoded(t, image.NewRGBA(image.Rect(0, 0, 0, 0)), ".bmp"))
	_, err = Decode(empty)
	require.EqualError(t, err, empty+": empty image")

	missing := filepath.Join(dir, "missing.png")
	_, err = Decode(missing)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, missing)
}

// setMaxPixels sets the pixel limit for one test.
func setMaxPixels(t *testing.T, n int64) {
	t.Helper()
	old, err := SetMaxPixels(n)
	require.NoError(t, err)
	t.Cleanup(func() { SetMaxPixels(old) })
}

func TestMaxPixelsDefaultAndSet(t *testing.T) {
	require.Equal(t, int64(DefaultMaxPixels), MaxPixels())
	require.Equal(t, int64(64<<20), MaxPixels(), "64 Mpixel")
	setMaxPixels(t, 100)
	require.Equal(t, int64(100), MaxPixels())
	for _, bad := range []int64{0, -1} {
		old, err := SetMaxPixels(bad)
		require.ErrorContains(t, err, "must be positive")
		require.Equal(t, int64(100), old)
		require.Equal(t, int64(100), MaxPixels(), "a bad limit changes nothing")
	}
}

func TestCheckSize(t *testing.T) {
	require.NoError(t, CheckSize(8192, 8192), "exactly the default limit")
	err := CheckSize(8193, 8192)
	require.ErrorIs(t, err, ErrTooLarge)
	require.EqualError(t, err, "8193x8192 is 64.0M pixels: too many pixels (the limit is 64.0M, --max-pixels)")
	// No int overflow on 32-bit machines.
	require.ErrorIs(t, CheckSize(1<<30, 1<<30), ErrTooLarge)
	require.ErrorContains(t, CheckSize(-1, 5), "invalid size -1x5")
	setMaxPixels(t, 12)
	require.NoError(t, CheckSize(4, 3))
	require.EqualError(t, CheckSize(13, 1), "13x1 is 13 pixels: too many pixels (the limit is 12, --max-pixels)")
}

func TestDecodeRefusesAHugeHeaderBeforeDecoding(t *testing.T) {
	dir := t.TempDir()
	// 60000x60000 RGB would need 14 GB once decoded.
	huge := filepath.Join(dir, "huge.png")
	write(t, huge, imagefiletest.PNGHeader(60000, 60000))
	_, err := Decode(huge)
	require.ErrorIs(t, err, ErrTooLarge)
	require.EqualError(t, err, huge+": image 60000x60000 is 3433.2M pixels: too many pixels (the limit is 64.0M, --max-pixels)")

	// The same check, and its message, at a lower limit on a real image.
	small := filepath.Join(dir, "small.jpg")
	imagefiletest.Write(t, small, image.NewGray(image.Rect(0, 0, 20, 10)))
	setMaxPixels(t, 199)
	_, err = Decode(small)
	require.EqualError(t, err, small+": image 20x10 is 200 pixels: too many pixels (the limit is 199, --max-pixels)")
	setMaxPixels(t, 200)
	img, err := Decode(small)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 20, 10), img.Bounds())
}
