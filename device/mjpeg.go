package device

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"slices"

	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// maxJPEGBytes bounds one frame of an MJPEG stream, so a stream of garbage
// cannot grow the buffer without limit.
const maxJPEGBytes = 32 << 20

// jpegSplitter cuts a byte stream of concatenated JPEG images (MJPEG as
// rpicam-vid --codec mjpeg -o - writes it) into single images. It follows
// the JPEG marker structure, so an 0xFFD9 inside an embedded thumbnail or
// other segment payload does not end a frame early; bytes between images
// are skipped.
type jpegSplitter struct {
	r   *bufio.Reader
	buf []byte // the current image, reused between frames
}

func newJPEGSplitter(r io.Reader) *jpegSplitter {
	return &jpegSplitter{r: bufio.NewReaderSize(r, 64<<10)}
}

// maxCorrupt is how many broken images in a row a stream may have before
// reading it fails.
const maxCorrupt = 16

// corruptError is a broken JPEG structure; the splitter skips to the next
// image after one.
type corruptError struct{ msg string }

func (e corruptError) Error() string { return "MJPEG stream: " + e.msg }

// Next returns the next complete JPEG image (SOI to EOI). The slice is
// reused by the following call. At the end of the stream between images it
// returns io.EOF; inside an image, io.ErrUnexpectedEOF. An image whose
// marker structure is broken is skipped, unless maxCorrupt come in a row.
func (s *jpegSplitter) Next() ([]byte, error) {
	for n := 1; ; n++ {
		img, err := s.image()
		if _, corrupt := err.(corruptError); corrupt && n < maxCorrupt {
			continue
		}
		return img, err
	}
}

// image reads from the next SOI to its EOI.
func (s *jpegSplitter) image() ([]byte, error) {
	if err := s.skipToSOI(); err != nil {
		return nil, err
	}
	s.buf = append(s.buf[:0], 0xFF, 0xD8)
	var m byte
	pending := false // m was already read by the entropy-data scan
	for {
		if !pending {
			var err error
			if m, err = s.marker(); err != nil {
				return nil, unexpected(err)
			}
		}
		pending = false
		switch {
		case m == 0xD9: // EOI
			s.buf = append(s.buf, 0xFF, m)
			return s.buf, nil
		case m == 0xD8: // a new SOI: the previous image was cut short
			s.buf = append(s.buf[:0], 0xFF, 0xD8)
			continue
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a payload
			s.buf = append(s.buf, 0xFF, m)
			continue
		}
		if err := s.segment(m); err != nil {
			return nil, err
		}
		if m == 0xDA { // SOS: entropy-coded data follows, up to the next marker
			var err error
			if m, err = s.scan(); err != nil {
				return nil, err
			}
			pending = true
		}
	}
}

// skipToSOI discards bytes up to and including the next FF D8.
func (s *jpegSplitter) skipToSOI() error {
	prevFF := false
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return err
		}
		if prevFF && b == 0xD8 {
			return nil
		}
		prevFF = b == 0xFF
	}
}

// marker reads the next marker code, skipping fill bytes (0xFF).
func (s *jpegSplitter) marker() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, corruptError{fmt.Sprintf("expected a JPEG marker, found byte 0x%02X", b)}
	}
	for b == 0xFF {
		if b, err = s.r.ReadByte(); err != nil {
			return 0, err
		}
	}
	return b, nil
}

// segment copies a marker segment with a 2-byte length.
func (s *jpegSplitter) segment(m byte) error {
	var hdr [2]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return unexpected(err)
	}
	n := int(hdr[0])<<8 | int(hdr[1])
	if n < 2 {
		return corruptError{fmt.Sprintf("marker 0x%02X has bad length %d", m, n)}
	}
	if err := s.checkSize(n + 2); err != nil {
		return err
	}
	start := len(s.buf)
	s.buf = slices.Grow(s.buf, n+2)
	s.buf = append(s.buf, 0xFF, m, hdr[0], hdr[1])
	s.buf = s.buf[:start+n+2]
	_, err := io.ReadFull(s.r, s.buf[start+4:])
	return unexpected(err)
}

// scan copies entropy-coded data up to the next marker that is neither a
// stuffed 0xFF00 nor a restart marker, consumes that marker and returns its
// code.
func (s *jpegSplitter) scan() (byte, error) {
	for {
		chunk, err := s.r.ReadSlice(0xFF)
		if cerr := s.checkSize(len(chunk)); cerr != nil {
			return 0, cerr
		}
		s.buf = append(s.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return 0, unexpected(err)
		}
		b, err := s.r.ReadByte()
		for err == nil && b == 0xFF { // fill bytes
			b, err = s.r.ReadByte()
		}
		if err != nil {
			return 0, unexpected(err)
		}
		if b == 0x00 || (b >= 0xD0 && b <= 0xD7) {
			s.buf = append(s.buf, b)
			continue
		}
		s.buf = s.buf[:len(s.buf)-1] // the 0xFF belongs to the marker
		return b, nil
	}
}

// checkSize fails when n more bytes would make the frame too large.
func (s *jpegSplitter) checkSize(n int) error {
	if len(s.buf)+n > maxJPEGBytes {
		return corruptError{fmt.Sprintf("frame larger than %d MiB", maxJPEGBytes>>20)}
	}
	return nil
}

// unexpected turns an io.EOF inside an image into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// mjpegDecoder reads JPEG frames from a stream and decodes them into frames.
type mjpegDecoder struct {
	split *jpegSplitter
	rd    bytes.Reader
	dht   []byte // frame with Huffman tables added, when it came without
}

func newMJPEGDecoder(r io.Reader) *mjpegDecoder {
	return &mjpegDecoder{split: newJPEGSplitter(r)}
}

// readFrame decodes the next image of the stream into f. Images that do
// not decode are skipped, unless maxCorrupt come in a row; an image over
// the pixel limit is an error at once.
func (d *mjpegDecoder) readFrame(f *Frame) error {
	for n := 1; ; n++ {
		data, err := d.split.Next()
		if err != nil {
			return err
		}
		data, d.dht = withHuffmanTables(data, d.dht)
		img, err := decodeJPEG(&d.rd, data)
		if errors.Is(err, imagefile.ErrTooLarge) {
			return fmt.Errorf("MJPEG stream: %w", err)
		}
		if err != nil {
			if n < maxCorrupt {
				continue
			}
			return fmt.Errorf("MJPEG stream: %d frames in a row do not decode: %w", n, err)
		}
		imageToFrame(f, img)
		return nil
	}
}

// decodeJPEG decodes one JPEG frame through rd. A frame whose header claims
// more than imagefile.MaxPixels pixels is refused before it is decoded.
func decodeJPEG(rd *bytes.Reader, data []byte) (image.Image, error) {
	rd.Reset(data)
	cfg, err := jpeg.DecodeConfig(rd)
	if err != nil {
		return nil, err
	}
	if err := imagefile.CheckSize(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("frame %w", err)
	}
	rd.Reset(data)
	return jpeg.Decode(rd)
}
