package device

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"
)

// Many USB (UVC) cameras send MJPEG frames without Huffman tables: the
// decoder is expected to use the standard tables of JPEG Annex K.3, as
// AVI1/MJPEG readers do. image/jpeg has no such default, so a frame without
// a DHT segment gets the standard tables inserted before it is decoded.

var (
	standardDHTOnce sync.Once
	standardDHT     []byte
)

// standardHuffmanTables returns a DHT segment with the four Annex K tables.
// Go's JPEG encoder always writes exactly these, so the segment is taken
// from a tiny encoded image rather than typed in.
func standardHuffmanTables() []byte {
	standardDHTOnce.Do(func() {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420), nil); err != nil {
			panic("device: encoding the reference JPEG: " + err.Error())
		}
		b := buf.Bytes()
		start, end, ok := findSegment(b, 0xC4)
		if !ok {
			panic("device: image/jpeg wrote no DHT segment")
		}
		standardDHT = b[start:end]
	})
	return standardDHT
}

// findSegment locates the first marker segment m (from its 0xFF to the end
// of its payload) of a JPEG image before its first SOS.
func findSegment(img []byte, m byte) (start, end int, ok bool) {
	i := 2 // after SOI
	for i+4 <= len(img) && img[i] == 0xFF {
		marker := img[i+1]
		n := int(img[i+2])<<8 | int(img[i+3])
		if i+2+n > len(img) {
			return 0, 0, false
		}
		if marker == m {
			return i, i + 2 + n, true
		}
		if marker == 0xDA {
			return 0, 0, false
		}
		i += 2 + n
	}
	return 0, 0, false
}

// withHuffmanTables returns img unchanged when it has a DHT segment before
// its scan, else a copy in buf (reused, returned) with the standard tables
// inserted after SOI.
func withHuffmanTables(img []byte, buf []byte) (out, newBuf []byte) {
	if len(img) < 4 {
		return img, buf
	}
	if _, _, ok := findSegment(img, 0xC4); ok {
		return img, buf
	}
	dht := standardHuffmanTables()
	buf = append(buf[:0], img[:2]...)
	buf = append(buf, dht...)
	buf = append(buf, img[2:]...)
	return buf, buf
}
