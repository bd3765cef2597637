package mqttpub

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"

	"github.com/edgecnn/edgecnn/device"
)

// snapshotQuality is the JPEG quality of snapshots.
const snapshotQuality = 80

// snapshotSlot holds the newest frame waiting to be encoded: the loop
// copies into it (reusing its buffer), the publisher swaps it out, so a
// burst of label changes costs one frame of memory, not one per change.
type snapshotSlot struct {
	mu      sync.Mutex
	pix     []byte
	w, h    int
	pending bool
}

// put copies f into the slot, replacing a frame not yet encoded.
func (s *snapshotSlot) put(f *device.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pix = append(s.pix[:0], f.Pix[:f.Width*f.Height*3]...)
	s.w, s.h, s.pending = f.Width, f.Height, true
}

// jpegEncoder keeps the buffers of snapshot encoding between snapshots.
type jpegEncoder struct {
	pix  []byte // the frame taken from the slot
	rgba image.RGBA
	out  bytes.Buffer
}

// encode takes the pending frame and returns it as JPEG, or nil when no
// frame is pending (an earlier snapshot message took it).
func (s *snapshotSlot) encode(e *jpegEncoder) []byte {
	s.mu.Lock()
	if !s.pending {
		s.mu.Unlock()
		return nil
	}
	s.pix, e.pix = e.pix, s.pix
	w, h := s.w, s.h
	s.pending = false
	s.mu.Unlock()

	n := w * h * 4
	if cap(e.rgba.Pix) < n {
		e.rgba.Pix = make([]byte, n)
	}
	e.rgba.Pix, e.rgba.Stride, e.rgba.Rect = e.rgba.Pix[:n], w*4, image.Rect(0, 0, w, h)
	for i, j := 0, 0; i < len(e.pix); i, j = i+3, j+4 {
		e.rgba.Pix[j], e.rgba.Pix[j+1], e.rgba.Pix[j+2], e.rgba.Pix[j+3] = e.pix[i], e.pix[i+1], e.pix[i+2], 255
	}
	e.out.Reset()
	if err := jpeg.Encode(&e.out, &e.rgba, &jpeg.Options{Quality: snapshotQuality}); err != nil {
		return nil
	}
	// The payload outlives this call (paho keeps it until acknowledged).
	return bytes.Clone(e.out.Bytes())
}
