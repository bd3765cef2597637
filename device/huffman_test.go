package device

import (
	"bytes"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/require"
)

// stripHuffmanTables removes every DHT segment, as UVC cameras send frames.
func stripHuffmanTables(t *testing.T, img []byte) []byte {
	t.Helper()
	out := append([]byte{}, img...)
	for {
		start, end, ok := findSegment(out, 0xC4)
		if !ok {
			return out
		}
		out = append(out[:start:start], out[end:]...)
	}
}

func TestFramesWithoutHuffmanTablesDecode(t *testing.T) {
	orig := producerJPEG(3)
	bare := stripHuffmanTables(t, orig)
	require.Less(t, len(bare), len(orig))
	_, err := jpeg.Decode(bytes.NewReader(bare))
	require.Error(t, err, "image/jpeg needs the tables")

	fixed, _ := withHuffmanTables(bare, nil)
	want, err := jpeg.Decode(bytes.NewReader(orig))
	require.NoError(t, err)
	got, err := jpeg.Decode(bytes.NewReader(fixed))
	require.NoError(t, err)
	require.Equal(t, want, got, "Go's encoder uses the standard tables, so the image is the same")

	same, _ := withHuffmanTables(orig, nil)
	require.Equal(t, orig, same, "a frame with tables is left alone")
}

func TestMJPEGStreamWithoutHuffmanTables(t *testing.T) {
	var stream bytes.Buffer
	for i := 0; i < 3; i++ {
		stream.Write(stripHuffmanTables(t, producerJPEG(i)))
	}
	d := newMJPEGDecoder(&stream)
	var f Frame
	for i := 0; i < 3; i++ {
		require.NoError(t, d.readFrame(&f), "frame %d", i)
		img, err := jpeg.Decode(bytes.NewReader(producerJPEG(i)))
		require.NoError(t, err)
		requireFrameMatches(t, img, &f, 0)
	}
}
