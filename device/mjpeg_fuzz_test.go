package device

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzMJPEGStream mutates a stream of real camera-style JPEGs (with an
// embedded thumbnail). The splitter must return whole SOI..EOI images until
// a clear error, and the decoder must fill a frame or fail, never panic.
func FuzzMJPEGStream(f *testing.F) {
	var stream bytes.Buffer
	for i := 0; i < 2; i++ {
		stream.WriteString("junk\xff\xd9")
		stream.Write(producerJPEG(i))
	}
	f.Add(stream.Bytes())
	f.Add(producerJPEG(3)[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newJPEGSplitter(bytes.NewReader(b))
		for {
			img, err := s.Next()
			if err != nil {
				var corrupt corruptError
				require.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt),
					"unexpected error %v", err)
				break
			}
			require.GreaterOrEqual(t, len(img), 4)
			require.Equal(t, []byte{0xFF, 0xD8}, img[:2], "an image starts with SOI")
			require.Equal(t, []byte{0xFF, 0xD9}, img[len(img)-2:], "an image ends with EOI")
		}

		d := newMJPEGDecoder(bytes.NewReader(b))
		var fr Frame
		for {
			err := d.readFrame(&fr)
			if err != nil {
				require.NotEmpty(t, err.Error())
				return
			}
			require.Positive(t, fr.Width)
			require.Positive(t, fr.Height)
			require.Len(t, fr.Pix, fr.Width*fr.Height*3)
		}
	})
}
