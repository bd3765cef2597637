// Package imagefiletest writes the small image files tests read, in the
// format their file name's extension names.
package imagefiletest

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
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

// PNGHeader is a PNG file that claims to be width x height 8-bit RGB but
// holds no pixel data: its header reads as that size, and decoding it
// fails. Tests use it to check that sizes are refused before decoding.
func PNGHeader(width, height uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(b, typ...)
		b = append(b, data...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0)) // depth 8, RGB, no interlace
	chunk("IEND", nil)
	return b
}
