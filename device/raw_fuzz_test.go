package device

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzRawFrames reads arbitrary bytes as raw I420 or YUYV frames of a small
// size (odd sizes included for I420; YUYV needs an even width, as
// OpenCommand checks): every whole frame is converted, a partial one at the
// end is io.ErrUnexpectedEOF, never a panic.
func FuzzRawFrames(f *testing.F) {
	f.Add(producerI420(0, 5, 3), false, uint8(5), uint8(3))
	f.Add(bytes.Repeat([]byte{16, 128, 235, 128}, 12), true, uint8(4), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, yuyv bool, w8, h8 uint8) {
		w, h := int(w8%32)+1, int(h8%32)+1
		format, size := FormatYUV420, i420Size(w, h)
		if yuyv {
			w += w % 2
			format, size = FormatYUYV, yuyvSize(w, h)
		}
		d := newRawDecoder(bytes.NewReader(b), format, w, h)
		var fr Frame
		frames := 0
		for {
			err := d.readFrame(&fr)
			if err != nil {
				if len(b)%size == 0 {
					require.ErrorIs(t, err, io.EOF)
				} else {
					require.True(t, errors.Is(err, io.ErrUnexpectedEOF), "a partial frame: %v", err)
				}
				break
			}
			frames++
			require.Equal(t, w, fr.Width)
			require.Equal(t, h, fr.Height)
			require.Len(t, fr.Pix, w*h*3)
		}
		require.Equal(t, len(b)/size, frames)
	})
}
