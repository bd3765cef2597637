// Package frameimg encodes packed RGB frames (device.Frame's layout) as
// JPEG, reusing its buffers from one frame to the next, for the live page's
// MJPEG stream and for the images edgecnn capture saves.
package frameimg

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// Encoder turns packed RGB into JPEG. Its buffers grow to the largest frame
// seen and are then reused. An Encoder is not safe for concurrent use.
type Encoder struct {
	rgba image.RGBA
	out  bytes.Buffer
	opt  jpeg.Options
}

// NewEncoder returns an encoder with JPEG quality 1 to 100.
func NewEncoder(quality int) (*Encoder, error) {
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("JPEG quality %d: want 1 to 100", quality)
	}
	return &Encoder{opt: jpeg.Options{Quality: quality}}, nil
}

// Encode encodes pix (w x h packed RGB, len >= w*h*3) and returns the JPEG
// bytes, valid until the next call.
func (e *Encoder) Encode(pix []byte, w, h int) ([]byte, error) {
	if w <= 0 || h <= 0 || len(pix) < w*h*3 {
		return nil, fmt.Errorf("frame %dx%d with %d bytes of RGB: want %d", w, h, len(pix), w*h*3)
	}
	n := w * h * 4
	if cap(e.rgba.Pix) < n {
		e.rgba.Pix = make([]byte, n)
	}
	e.rgba.Pix = e.rgba.Pix[:n]
	e.rgba.Stride, e.rgba.Rect = w*4, image.Rect(0, 0, w, h)
	d := e.rgba.Pix
	for i, j := 0, 0; j < n; i, j = i+3, j+4 {
		d[j], d[j+1], d[j+2], d[j+3] = pix[i], pix[i+1], pix[i+2], 0xff
	}
	e.out.Reset()
	if err := jpeg.Encode(&e.out, &e.rgba, &e.opt); err != nil {
		return nil, err
	}
	return e.out.Bytes(), nil
}
