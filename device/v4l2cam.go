package device

import (
	"bytes"
	"fmt"
	"time"

	"github.com/edgecnn/edgecnn/device/v4l2"
	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// v4l2FrameTimeout is how long a V4L2 camera may go without a frame before
// Read reports it lost.
const v4l2FrameTimeout = 5 * time.Second

// frameDevice is the part of *v4l2.Device the camera uses.
type frameDevice interface {
	Frame(timeout time.Duration) ([]byte, error)
	Format() v4l2.Format
	Path() string
	Close() error
}

// v4l2Camera decodes YUYV or MJPEG buffers from a V4L2 device.
type v4l2Camera struct {
	dev frameDevice
	fmt v4l2.Format
	rd  bytes.Reader
	dht []byte // MJPEG frame with Huffman tables added, when it came without
}

// OpenV4L2 opens a V4L2 capture device such as /dev/video0 without cgo. It
// asks for opt.Width x opt.Height (640x480 by default) in opt.Format (yuyv
// or mjpeg; both are tried, YUYV first, when empty).
func OpenV4L2(path string, opt CameraOptions) (Camera, error) {
	var formats []uint32
	switch opt.Format {
	case "":
		formats = []uint32{v4l2.PixelFormatYUYV, v4l2.PixelFormatMJPEG, v4l2.PixelFormatJPEG}
	case FormatYUYV:
		formats = []uint32{v4l2.PixelFormatYUYV}
	case FormatMJPEG:
		formats = []uint32{v4l2.PixelFormatMJPEG, v4l2.PixelFormatJPEG}
	default:
		return nil, fmt.Errorf("camera %s: format %q is not available from V4L2 (want yuyv or mjpeg)", path, opt.Format)
	}
	w, h := opt.Width, opt.Height
	if w <= 0 || h <= 0 {
		w, h = 640, 480
	}
	if err := imagefile.CheckSize(w, h); err != nil {
		return nil, fmt.Errorf("camera %s: frame size %w", path, err)
	}
	dev, err := v4l2.Open(path, v4l2.Config{Width: w, Height: h, Formats: formats})
	if err != nil {
		return nil, fmt.Errorf("camera %w", err)
	}
	f := dev.Format()
	if err := imagefile.CheckSize(f.Width, f.Height); err != nil {
		dev.Close()
		return nil, fmt.Errorf("camera %s: the driver's frame size %w", path, err)
	}
	return &v4l2Camera{dev: dev, fmt: f}, nil
}

func (c *v4l2Camera) Name() string {
	return fmt.Sprintf("%s (%s %dx%d)", c.dev.Path(), v4l2.FourCCString(c.fmt.PixelFormat), c.fmt.Width, c.fmt.Height)
}

func (c *v4l2Camera) Close() error { return c.dev.Close() }

func (c *v4l2Camera) Read(f *Frame) error {
	data, err := c.dev.Frame(v4l2FrameTimeout)
	if err == v4l2.ErrClosed {
		return ErrClosed
	}
	if err != nil {
		return fmt.Errorf("camera %w", err)
	}
	f.Time = time.Now()
	if c.fmt.PixelFormat != v4l2.PixelFormatYUYV {
		data, c.dht = withHuffmanTables(data, c.dht)
		img, err := decodeJPEG(&c.rd, data)
		if err != nil {
			return fmt.Errorf("camera %s: MJPEG frame: %w", c.dev.Path(), err)
		}
		imageToFrame(f, img)
		return nil
	}
	stride := c.fmt.BytesPerLine
	if stride < 2*c.fmt.Width {
		stride = 2 * c.fmt.Width
	}
	if len(data) < stride*(c.fmt.Height-1)+2*c.fmt.Width {
		return fmt.Errorf("camera %s: short YUYV frame (%d bytes for %dx%d)", c.dev.Path(), len(data), c.fmt.Width, c.fmt.Height)
	}
	yuyvToFrame(f, data, c.fmt.Width, c.fmt.Height, stride)
	return nil
}
