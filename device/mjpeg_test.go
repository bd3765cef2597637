package device

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitterFindsWholeImages(t *testing.T) {
	var stream bytes.Buffer
	var want [][]byte
	for i := 0; i < 4; i++ {
		stream.WriteString("garbage\xff\xd9\xff")
		img := producerJPEG(i)
		if i == 2 {
			// fill bytes before a marker are legal
			img = append(append(append([]byte{}, img[:2]...), 0xFF, 0xFF), img[2:]...)
		}
		want = append(want, img)
		stream.Write(img)
	}
	s := newJPEGSplitter(&stream)
	for i, w := range want {
		got, err := s.Next()
		require.NoError(t, err, "image %d", i)
		_, err = jpeg.Decode(bytes.NewReader(got))
		require.NoError(t, err, "image %d decodes", i)
		if i == 2 {
			require.Equal(t, append(w[:2:2], w[4:]...), got, "fill bytes are dropped")
			continue
		}
		require.Equal(t, w, got, "image %d", i)
	}
	_, err := s.Next()
	require.ErrorIs(t, err, io.EOF)
}

func TestSplitterTruncatedImage(t *testing.T) {
	img := producerJPEG(0)
	s := newJPEGSplitter(bytes.NewReader(img[:len(img)/2]))
	_, err := s.Next()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestSplitterRestartsOnNewSOI(t *testing.T) {
	a, b := producerJPEG(0), producerJPEG(1)
	stream := append(append([]byte{}, a[:len(a)-100]...), b...) // a is cut off in its entropy-coded data
	s := newJPEGSplitter(bytes.NewReader(stream))
	got, err := s.Next()
	require.NoError(t, err)
	require.Equal(t, b, got)
}

func TestSplitterSkipsBrokenStructure(t *testing.T) {
	b := producerJPEG(1)
	stream := append([]byte{0xFF, 0xD8, 0x12, 0x34}, b...)
	s := newJPEGSplitter(bytes.NewReader(stream))
	got, err := s.Next()
	require.NoError(t, err)
	require.Equal(t, b, got)

	garbage := bytes.Repeat([]byte{0xFF, 0xD8, 0x12}, maxCorrupt)
	s = newJPEGSplitter(bytes.NewReader(append(garbage, b...)))
	_, err = s.Next()
	require.ErrorContains(t, err, "expected a JPEG marker")
}

func TestMJPEGDecoderSkipsUndecodableFrames(t *testing.T) {
	bad := []byte{0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, 'h', 'i', 0xFF, 0xD9} // a comment, no image
	stream := append(append([]byte{}, bad...), producerJPEG(2)...)
	d := newMJPEGDecoder(bytes.NewReader(stream))
	var f Frame
	require.NoError(t, d.readFrame(&f))
	require.Equal(t, producerW, f.Width)

	d = newMJPEGDecoder(bytes.NewReader(bytes.Repeat(bad, maxCorrupt)))
	require.ErrorContains(t, d.readFrame(&f), "do not decode")
}

func TestMJPEGDecoderMatchesImageDecode(t *testing.T) {
	var stream bytes.Buffer
	for i := 0; i < 3; i++ {
		stream.Write(producerJPEG(i))
	}
	d := newMJPEGDecoder(bytes.NewReader(stream.Bytes()))
	var f Frame
	for i := 0; i < 3; i++ {
		require.NoError(t, d.readFrame(&f))
		img, err := jpeg.Decode(bytes.NewReader(producerJPEG(i)))
		require.NoError(t, err)
		requireFrameMatches(t, img, &f, 1)
	}
}

// requireFrameMatches checks f against img pixel by pixel, through the
// image package's own colour conversion, within tol per channel.
func requireFrameMatches(t *testing.T, img image.Image, f *Frame, tol int) {
	t.Helper()
	b := img.Bounds()
	require.Equal(t, b.Dx(), f.Width)
	require.Equal(t, b.Dy(), f.Height)
	require.Len(t, f.Pix, f.Width*f.Height*3)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			want := []uint32{r >> 8, g >> 8, bl >> 8}
			for k := 0; k < 3; k++ {
				got := uint32(f.Pix[(y*f.Width+x)*3+k])
				d := int(got) - int(want[k])
				if d < -tol || d > tol {
					t.Fatalf("pixel %d,%d channel %d: got %d want %d", x, y, k, got, want[k])
				}
			}
		}
	}
}
