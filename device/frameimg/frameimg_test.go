package frameimg

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEncodeRoundTrips(t *testing.T) {
	const w, h = 32, 16
	pix := make([]byte, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			if x < w/2 {
				pix[i] = 220 // left half red
			} else {
				pix[i+2] = 220 // right half blue
			}
		}
	}
	e, err := NewEncoder(95)
	require.NoError(t, err)
	for range 2 { // the second call reuses the buffers
		b, err := e.Encode(pix, w, h)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
		r, _, bl, _ := img.At(4, 8).RGBA()
		require.Greater(t, r>>8, uint32(180))
		require.Less(t, bl>>8, uint32(60))
		r, _, bl, _ = img.At(w-4, 8).RGBA()
		require.Less(t, r>>8, uint32(60))
		require.Greater(t, bl>>8, uint32(180))
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	_, err := NewEncoder(0)
	require.ErrorContains(t, err, "quality 0")
	e, err := NewEncoder(80)
	require.NoError(t, err)
	_, err = e.Encode(make([]byte, 10), 4, 4)
	require.ErrorContains(t, err, "want 48")
}

// The cost of one stream frame: a 640x480 camera frame to JPEG (the live
// page does this at most --http-fps times a second, only while watched).
func BenchmarkEncode640x480(b *testing.B) {
	pix := make([]byte, 640*480*3)
	for i := range pix {
		pix[i] = byte(i * 7 / 3)
	}
	e, err := NewEncoder(75)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(pix, 640, 480); err != nil {
			b.Fatal(err)
		}
	}
}
