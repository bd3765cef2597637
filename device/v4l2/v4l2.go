// Package v4l2 captures raw frames from a Video4Linux2 device (/dev/videoN)
// with plain ioctls and memory-mapped buffers, without cgo: VIDIOC_QUERYCAP,
// VIDIOC_S_FMT, VIDIOC_REQBUFS, VIDIOC_QUERYBUF + mmap, VIDIOC_QBUF and
// VIDIOC_DQBUF, VIDIOC_STREAMON and VIDIOC_STREAMOFF. It hands out the bytes
// of each buffer as the driver filled them; decoding (YUYV, MJPEG) is the
// caller's job.
package v4l2

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Pixel formats (fourcc codes) this package negotiates.
var (
	PixelFormatYUYV  = FourCC("YUYV")
	PixelFormatMJPEG = FourCC("MJPG")
	PixelFormatJPEG  = FourCC("JPEG")
)

// FourCC packs a four-character code as V4L2 does (first byte lowest).
func FourCC(s string) uint32 {
	var b [4]byte
	copy(b[:], s)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// FourCCString is the four-character name of a pixel format code.
func FourCCString(c uint32) string {
	return strings.TrimRight(string([]byte{byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)}), " \x00")
}

// Config selects what Open asks the driver for.
type Config struct {
	// Width and Height are the requested frame size; the driver may pick
	// the nearest size it supports (see Device.Format).
	Width, Height int
	// Formats lists acceptable pixel formats in order of preference.
	Formats []uint32
	// Buffers is the number of mmap buffers to request (4 when zero).
	Buffers int
}

// Format is the frame format the driver agreed to.
type Format struct {
	Width, Height int
	PixelFormat   uint32
	BytesPerLine  int // row stride of uncompressed formats
	SizeImage     int // bytes per buffer
}

// Device is an open, streaming V4L2 capture device.
type Device struct {
	path   string
	s      sys
	format Format
	bufs   [][]byte
	queued []bool

	mu      sync.Mutex // held by Frame and Close
	held    int        // index of the buffer handed out by Frame, or -1
	closing atomic.Bool
	closed  bool
	qbuf    buffer // reused ioctl argument
}

// pollSlice bounds how long Frame blocks before it checks for Close.
const pollSlice = 100 * time.Millisecond

// ErrClosed is returned by Frame after Close.
var ErrClosed = errors.New("v4l2: device closed")

// Open opens path, checks that it is a streaming capture device, negotiates
// a format from cfg.Formats, maps the buffers and starts streaming.
func Open(path string, cfg Config) (*Device, error) {
	s, err := openFileSys(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return open(path, s, cfg)
}

// open runs the set-up sequence on s; on failure it releases everything.
func open(path string, s sys, cfg Config) (*Device, error) {
	d := &Device{path: path, s: s, held: -1}
	if err := d.setup(cfg); err != nil {
		d.release()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func (d *Device) setup(cfg Config) error {
	var c capability
	if err := d.s.ioctl(vidiocQueryCap, unsafe.Pointer(&c)); err != nil {
		return fmt.Errorf("VIDIOC_QUERYCAP: %w (not a V4L2 device?)", err)
	}
	caps := c.Capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	if caps&capVideoCapture == 0 {
		return fmt.Errorf("%s is not a video capture device", cString(c.Card[:]))
	}
	if caps&capStreaming == 0 {
		return fmt.Errorf("%s does not support streaming I/O", cString(c.Card[:]))
	}
	if err := d.negotiate(cfg); err != nil {
		return err
	}
	return d.mapBuffers(cfg.Buffers)
}

// negotiate sets the first format of cfg.Formats the driver accepts.
func (d *Device) negotiate(cfg Config) error {
	if len(cfg.Formats) == 0 {
		return errors.New("no pixel formats requested")
	}
	var got []string
	for _, want := range cfg.Formats {
		var f format
		f.Type = bufTypeVideoCapture
		p := f.pix()
		p.Width, p.Height, p.PixelFormat, p.Field = uint32(cfg.Width), uint32(cfg.Height), want, fieldNone
		if err := d.s.ioctl(vidiocSFmt, unsafe.Pointer(&f)); err != nil {
			return fmt.Errorf("VIDIOC_S_FMT %s %dx%d: %w", FourCCString(want), cfg.Width, cfg.Height, err)
		}
		if p.PixelFormat == want {
			d.format = Format{Width: int(p.Width), Height: int(p.Height), PixelFormat: p.PixelFormat,
				BytesPerLine: int(p.BytesPerLine), SizeImage: int(p.SizeImage)}
			return nil
		}
		got = append(got, FourCCString(p.PixelFormat))
	}
	var want []string
	for _, f := range cfg.Formats {
		want = append(want, FourCCString(f))
	}
	return fmt.Errorf("no supported pixel format: asked for %s, driver offered %s (device formats: %s)",
		strings.Join(want, ", "), strings.Join(got, ", "), strings.Join(d.enumFormats(), ", "))
}

// enumFormats lists the device's pixel formats, for error messages.
func (d *Device) enumFormats() []string {
	var names []string
	for i := uint32(0); i < 64; i++ {
		fd := fmtDesc{Index: i, Type: bufTypeVideoCapture}
		if d.s.ioctl(vidiocEnumFmt, unsafe.Pointer(&fd)) != nil {
			break
		}
		names = append(names, FourCCString(fd.PixelFormat))
	}
	if len(names) == 0 {
		return []string{"unknown"}
	}
	return names
}

// mapBuffers requests, maps and queues the capture buffers, then starts
// streaming.
func (d *Device) mapBuffers(n int) error {
	if n <= 0 {
		n = 4
	}
	rb := requestBuffers{Count: uint32(n), Type: bufTypeVideoCapture, Memory: memoryMMAP}
	if err := d.s.ioctl(vidiocReqBufs, unsafe.Pointer(&rb)); err != nil {
		return fmt.Errorf("VIDIOC_REQBUFS: %w", err)
	}
	if rb.Count < 2 {
		return fmt.Errorf("VIDIOC_REQBUFS: driver granted %d buffers, need at least 2", rb.Count)
	}
	d.queued = make([]bool, rb.Count)
	for i := uint32(0); i < rb.Count; i++ {
		b := buffer{Index: i, Type: bufTypeVideoCapture, Memory: memoryMMAP}
		if err := d.s.ioctl(vidiocQueryBuf, unsafe.Pointer(&b)); err != nil {
			return fmt.Errorf("VIDIOC_QUERYBUF %d: %w", i, err)
		}
		m, err := d.s.mmap(int64(b.offset()), int(b.Length))
		if err != nil {
			return fmt.Errorf("mmap buffer %d: %w", i, err)
		}
		d.bufs = append(d.bufs, m)
	}
	for i := range d.bufs {
		if err := d.queue(i); err != nil {
			return err
		}
	}
	typ := int32(bufTypeVideoCapture)
	if err := d.s.ioctl(vidiocStreamOn, unsafe.Pointer(&typ)); err != nil {
		return fmt.Errorf("VIDIOC_STREAMON: %w", err)
	}
	return nil
}

func (d *Device) queue(i int) error {
	d.qbuf = buffer{Index: uint32(i), Type: bufTypeVideoCapture, Memory: memoryMMAP}
	if err := d.s.ioctl(vidiocQBuf, unsafe.Pointer(&d.qbuf)); err != nil {
		return fmt.Errorf("VIDIOC_QBUF %d: %w", i, err)
	}
	d.queued[i] = true
	return nil
}

// Format is the negotiated frame format.
func (d *Device) Format() Format { return d.format }

// Path is the device node.
func (d *Device) Path() string { return d.path }

// Frame waits up to timeout for the next filled buffer and returns its bytes.
// The slice is valid until the next call to Frame or Close, which give the
// buffer back to the driver. Buffers the driver marks as failed are skipped.
func (d *Device) Frame(timeout time.Duration) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.closing.Load() {
		return nil, ErrClosed
	}
	if d.held >= 0 {
		if err := d.queue(d.held); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		d.held = -1
	}
	deadline := time.Now().Add(timeout)
	for {
		if d.closing.Load() {
			return nil, ErrClosed
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("%s: no frame within %v", d.path, timeout)
		}
		ready, err := d.s.poll(min(left, pollSlice))
		if err != nil {
			return nil, fmt.Errorf("%s: poll: %w", d.path, err)
		}
		if !ready {
			continue
		}
		d.qbuf = buffer{Type: bufTypeVideoCapture, Memory: memoryMMAP}
		err = d.s.ioctl(vidiocDQBuf, unsafe.Pointer(&d.qbuf))
		if errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: VIDIOC_DQBUF: %w", d.path, err)
		}
		i := int(d.qbuf.Index)
		if i >= len(d.bufs) || !d.queued[i] {
			return nil, fmt.Errorf("%s: VIDIOC_DQBUF returned buffer %d that was not queued", d.path, i)
		}
		d.queued[i] = false
		if d.qbuf.Flags&bufFlagError != 0 || int(d.qbuf.BytesUsed) > len(d.bufs[i]) {
			if err := d.queue(i); err != nil {
				return nil, fmt.Errorf("%s: %w", d.path, err)
			}
			continue
		}
		d.held = i
		return d.bufs[i][:d.qbuf.BytesUsed], nil
	}
}

// Close stops streaming, unmaps the buffers and closes the device. It may
// be called while another goroutine is blocked in Frame.
func (d *Device) Close() error {
	d.closing.Store(true)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	return d.release()
}

// release undoes whatever setup got done; errors of a vanished device are
// not interesting here, only the close of the file is reported.
func (d *Device) release() error {
	d.closed = true
	if d.bufs != nil {
		typ := int32(bufTypeVideoCapture)
		_ = d.s.ioctl(vidiocStreamOff, unsafe.Pointer(&typ))
	}
	for _, b := range d.bufs {
		_ = d.s.munmap(b)
	}
	if d.queued != nil {
		rb := requestBuffers{Count: 0, Type: bufTypeVideoCapture, Memory: memoryMMAP}
		_ = d.s.ioctl(vidiocReqBufs, unsafe.Pointer(&rb))
	}
	d.bufs, d.queued = nil, nil
	return d.s.close()
}

// cString converts a NUL-terminated byte array.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
