//go:build gocv

package gocvcam

import (
	"fmt"
	"io"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/edgecnn/edgecnn/device"
)

func init() { device.RegisterVideoOpener(Open) }

// camera reads frames through an OpenCV VideoCapture. Its two Mats (the
// decoded BGR frame and its RGB conversion) are allocated once and reused.
type camera struct {
	name    string
	bounded bool
	vc      *gocv.VideoCapture
	bgr     gocv.Mat
	rgb     gocv.Mat

	mu     sync.Mutex // held by Read and Close: OpenCV must not release a capture mid-read
	closed bool
}

// Open opens src: a camera index (with opt.Width x opt.Height requested when
// set), a video file, or a GStreamer pipeline ending in appsink.
func Open(src device.VideoSource, opt device.CameraOptions) (device.Camera, error) {
	var (
		vc   *gocv.VideoCapture
		err  error
		name string
	)
	switch {
	case src.Pipeline != "":
		name = "gst:" + src.Pipeline
		vc, err = gocv.OpenVideoCaptureWithAPI(src.Pipeline, gocv.VideoCaptureGstreamer)
	case src.File != "":
		name = src.File
		vc, err = gocv.VideoCaptureFile(src.File)
	default:
		name = fmt.Sprintf("camera %d (OpenCV)", src.Index)
		vc, err = gocv.VideoCaptureDevice(src.Index)
	}
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", name, err)
	}
	if !vc.IsOpened() {
		vc.Close()
		return nil, fmt.Errorf("camera %s: OpenCV could not open it", name)
	}
	if src.File == "" && src.Pipeline == "" && opt.Width > 0 && opt.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(opt.Width))
		vc.Set(gocv.VideoCaptureFrameHeight, float64(opt.Height))
	}
	return &camera{name: name, bounded: src.File != "", vc: vc, bgr: gocv.NewMat(), rgb: gocv.NewMat()}, nil
}

func (c *camera) Name() string  { return c.name }
func (c *camera) Bounded() bool { return c.bounded }

// Read decodes the next frame into f as packed RGB. A video file ends with
// io.EOF; a camera or pipeline that stops delivering is an error.
func (c *camera) Read(f *device.Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return device.ErrClosed
	}
	if !c.vc.Read(&c.bgr) || c.bgr.Empty() {
		if c.bounded {
			return io.EOF
		}
		return fmt.Errorf("camera %s: no frame (disconnected or the pipeline ended)", c.name)
	}
	f.Time = time.Now()
	code, ok := toRGB[c.bgr.Channels()]
	if !ok {
		return fmt.Errorf("camera %s: frames with %d channels are not supported", c.name, c.bgr.Channels())
	}
	gocv.CvtColor(c.bgr, &c.rgb, code)
	return copyMat(f, &c.rgb)
}

// toRGB maps a frame's channel count to its conversion to RGB.
var toRGB = map[int]gocv.ColorConversionCode{1: gocv.ColorGrayToRGB, 3: gocv.ColorBGRToRGB, 4: gocv.ColorBGRAToRGB}

// copyMat copies an 8-bit 3-channel Mat into f.
func copyMat(f *device.Frame, m *gocv.Mat) error {
	w, h := m.Cols(), m.Rows()
	f.Resize(w, h)
	data, err := m.DataPtrUint8()
	if err != nil {
		return err
	}
	if len(data) < w*h*3 {
		return fmt.Errorf("OpenCV frame has %d bytes for %dx%d RGB", len(data), w, h)
	}
	copy(f.Pix, data[:w*h*3])
	return nil
}

// Close releases the capture and the Mats; it waits for a Read in
// progress to finish.
func (c *camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.bgr.Close()
	c.rgb.Close()
	return c.vc.Close()
}
