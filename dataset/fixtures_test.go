package dataset

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
)

// solid is a w x h image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

// gradient is a w x h image whose pixels all differ.
func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{byte(x * 255 / w), byte(y * 255 / h), byte((x + y) * 7), 255})
		}
	}
	return m
}

// writeFile writes raw bytes (a corrupt image, a note).
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// twoClassDir writes n solid 6x4 PNGs per class: class a is dark (value
// 10+i), class b bright (value 200+i), so every image is identifiable.
func twoClassDir(t testing.TB, n int) string {
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		imagefiletest.Write(t, filepath.Join(dir, "a", name(i)), solid(6, 4, color.NRGBA{byte(10 + i), 0, 0, 255}))
		imagefiletest.Write(t, filepath.Join(dir, "b", name(i)), solid(6, 4, color.NRGBA{byte(200 + i), 0, 0, 255}))
	}
	return dir
}

func name(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) + ".png" }
