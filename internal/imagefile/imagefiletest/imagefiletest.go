// Package imagefiletest writes the small image files tests read, in the
// format their file name's extension names.
package imagefiletest

import (
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"
)

// Encode writes img to w as the extension ext names: ".png", ".jpg" or
// ".jpeg" (quality 100, so decoded pixels stay close), ".gif" or ".bmp", in
// any case.
func Encode(w io.Writer, ext string, img image.Image) error {
	switch strings.ToLower(ext) {
	case ".png":
		return png.Encode(w, img)
	case ".jpg", ".jpeg":
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 100})
	case ".gif":
		return gif.Encode(w, img, nil)
	case ".bmp":
		return bmp.Encode(w, img)
	}
	return fmt.Errorf("no image encoder for %q", ext)
}

// Write encodes img into the file path, creating its folders, in the format
// path's extension names (see Encode). Any failure fails the test.
func Write(t testing.TB, path string, img image.Image) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, Encode(f, filepath.Ext(path), img))
	require.NoError(t, f.Close())
}
