// Package device reads camera frames for the on-device classifier: a folder
// of images, an MJPEG or raw YUV stream from a command's stdout (for example
// rpicam-vid), a V4L2 device through plain ioctls, and — in builds with the
// gocv tag — anything OpenCV opens (device index, video file, GStreamer
// pipeline). Every source fills a caller-owned Frame, so a running camera
// allocates no new frame buffers once its frames have reached their size.
//
// Stream adds latest-frame semantics on top of a Camera: a reader goroutine
// keeps only the newest frame, counts the frames nobody looked at, and
// reopens a live camera that went away.
package device

import (
	"errors"
	"io"
	"time"
)

// Frame is one camera frame as packed RGB (3 bytes per pixel, row stride
// Width*3). Pix is owned by whoever allocated the frame; sources grow it when
// a frame is larger than its capacity and otherwise reuse it.
type Frame struct {
	Pix           []byte
	Width, Height int
	// Seq numbers the frames a source produced, from 0.
	Seq uint64
	// File names the image a frame came from, for sources that have file
	// names (a folder); empty otherwise.
	File string
	// Time is when the frame was captured (or read).
	Time time.Time
}

// Resize sets the frame's size and makes Pix exactly w*h*3 bytes long,
// reusing its backing array when it is large enough.
func (f *Frame) Resize(w, h int) {
	n := w * h * 3
	if cap(f.Pix) < n {
		f.Pix = make([]byte, n)
	}
	f.Pix = f.Pix[:n]
	f.Width, f.Height = w, h
}

// Camera is a source of frames. Read blocks until the next frame is in f.
// A source that ends (the last image of a folder, the end of a video file)
// returns io.EOF. Close releases the source; it may be called more than
// once, and while another goroutine is blocked in Read, which then returns
// an error.
type Camera interface {
	Read(f *Frame) error
	Close() error
	Name() string
}

// Bounded is implemented by sources that have an end, such as a folder or a
// video file. Their frames are all delivered (none dropped) and they are not
// reopened when they end. A camera that does not implement Bounded is live.
type Bounded interface {
	Bounded() bool
}

// IsBounded reports whether c is a source with an end (see Bounded).
func IsBounded(c Camera) bool {
	b, ok := c.(Bounded)
	return ok && b.Bounded()
}

// Camera formats for command and V4L2 sources.
const (
	FormatMJPEG  = "mjpeg"
	FormatYUV420 = "yuv420" // I420: Y plane, then U and V at half resolution
	FormatYUYV   = "yuyv"   // YUY2, 4:2:2 interleaved
)

// CameraOptions configure Open. The zero value is valid.
type CameraOptions struct {
	// Format is the pixel format of a command's output (FormatMJPEG when
	// empty) or the preferred V4L2 format (YUYV, then MJPEG, when empty).
	Format string
	// Width and Height are the frame size of raw command output (required
	// for yuv420 and yuyv) and the size requested from a V4L2 device
	// (640x480 when zero).
	Width, Height int
	// Stderr receives a command source's standard error; nil discards it.
	Stderr io.Writer
}

// ErrClosed is returned by Read on a camera that has been closed.
var ErrClosed = errors.New("camera closed")
