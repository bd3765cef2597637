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
