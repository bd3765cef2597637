package imagefiletest

import (
	"bytes"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteEncodesByExtension(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.SetNRGBA(2, 1, color.NRGBA{255, 255, 255, 255})
	dir := t.TempDir()
	for name, format := range map[string]string{"a.png": "png", "sub/b.JPG": "jpeg", "c.jpeg": "jpeg", "d.gif": "gif", "e.BMP": "bmp"} {
		path := filepath.Join(dir, name)
		Write(t, path, img)
		f, err := os.Open(path)
		require.NoError(t, err)
		got, kind, err := image.Decode(f)
		require.NoError(t, f.Close())
		require.NoError(t, err, name)
		require.Equal(t, format, kind, name)
		require.Equal(t, img.Bounds(), got.Bounds(), name)
	}
}

func TestEncodeUnknownExtension(t *testing.T) {
	require.EqualError(t, Encode(io.Discard, ".tiff", image.NewGray(image.Rect(0, 0, 1, 1))), `no image encoder for ".tiff"`)
}

func TestPNGHeaderClaimsItsSizeAndHasNoPixels(t *testing.T) {
	data := PNGHeader(70000, 3)
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, "png", kind)
	require.Equal(t, [2]int{70000, 3}, [2]int{cfg.Width, cfg.Height})
	_, _, err = image.Decode(bytes.NewReader(PNGHeader(4, 4)))
	require.Error(t, err, "no pixel data")
}
