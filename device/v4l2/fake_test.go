package v4l2

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeDevice is a V4L2 driver in memory: it interprets the ioctl arguments
// the way the kernel does, so tests exercise the real structures and request
// codes.
type fakeDevice struct {
	mu sync.Mutex

	card      string
	caps      uint32
	formats   []uint32 // supported pixel formats; S_FMT falls back to the first
	maxW      uint32
	maxH      uint32
	grant     uint32   // most buffers REQBUFS grants
	frames    [][]byte // frame payloads DQBUF delivers, in order
	errorAt   int      // 1-based frame number delivered with V4L2_BUF_FLAG_ERROR; 0 = none
	goneAfter int      // after this many frames DQBUF fails with ENODEV; 0 = never

	format    pixFormat
	backing   [][]byte
	queue     []uint32 // queued buffer indexes, in order
	queued    map[uint32]bool
	streaming bool
	delivered int
	mapped    int
	unmapped  int
	closed    bool
	calls     []string
}

const fakePage = 4096

func newFakeDevice(formats ...uint32) *fakeDevice {
	return &fakeDevice{card: "fake cam", caps: capVideoCapture | capStreaming, formats: formats,
		maxW: 640, maxH: 480, grant: 4, queued: map[uint32]bool{}}
}

var requestNames = map[uintptr]string{
	vidiocQueryCap: "QUERYCAP", vidiocEnumFmt: "ENUM_FMT", vidiocSFmt: "S_FMT", vidiocReqBufs: "REQBUFS",
	vidiocQueryBuf: "QUERYBUF", vidiocQBuf: "QBUF", vidiocDQBuf: "DQBUF", vidiocStreamOn: "STREAMON",
	vidiocStreamOff: "STREAMOFF",
}

func (d *fakeDevice) ioctl(req uintptr, arg unsafe.Pointer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return unix.EBADF
	}
	name, ok := requestNames[req]
	if !ok {
		return unix.ENOTTY
	}
	d.calls = append(d.calls, name)
	switch req {
	case vidiocQueryCap:
		c := (*capability)(arg)
		copy(c.Card[:], d.card)
		c.Capabilities = d.caps
	case vidiocEnumFmt:
		f := (*fmtDesc)(arg)
		if f.Type != bufTypeVideoCapture || int(f.Index) >= len(d.formats) {
			return unix.EINVAL
		}
		f.PixelFormat = d.formats[f.Index]
	case vidiocSFmt:
		f := (*format)(arg)
		if f.Type != bufTypeVideoCapture || d.streaming {
			return unix.EINVAL
		}
		p := f.pix()
		if !d.supports(p.PixelFormat) {
			p.PixelFormat = d.formats[0]
		}
		p.Width, p.Height = min(p.Width, d.maxW), min(p.Height, d.maxH)
		p.BytesPerLine = p.Width * 2
		p.SizeImage = p.BytesPerLine * p.Height
		if p.PixelFormat != PixelFormatYUYV {
			p.BytesPerLine = 0
		}
		d.format = *p
	case vidiocReqBufs:
		r := (*requestBuffers)(arg)
		if r.Type != bufTypeVideoCapture || r.Memory != memoryMMAP {
			return unix.EINVAL
		}
		r.Count = min(r.Count, d.grant)
		d.backing = make([][]byte, r.Count)
		for i := range d.backing {
			d.backing[i] = make([]byte, d.format.SizeImage)
		}
		d.queue, d.queued = nil, map[uint32]bool{}
	case vidiocQueryBuf:
		b := (*buffer)(arg)
		if int(b.Index) >= len(d.backing) {
			return unix.EINVAL
		}
		b.Length = uint32(len(d.backing[b.Index]))
		b.setOffset(b.Index * fakePage)
	case vidiocQBuf:
		b := (*buffer)(arg)
		if int(b.Index) >= len(d.backing) || d.queued[b.Index] || b.Memory != memoryMMAP {
			return unix.EINVAL
		}
		d.queued[b.Index] = true
		d.queue = append(d.queue, b.Index)
	case vidiocDQBuf:
		return d.dequeue((*buffer)(arg))
	case vidiocStreamOn, vidiocStreamOff:
		if *(*int32)(arg) != bufTypeVideoCapture {
			return unix.EINVAL
		}
		d.streaming = req == vidiocStreamOn
	}
	return nil
}

func (d *fakeDevice) dequeue(b *buffer) error {
	if !d.streaming {
		return unix.EINVAL
	}
	if d.goneAfter > 0 && d.delivered >= d.goneAfter {
		return unix.ENODEV
	}
	if len(d.queue) == 0 || d.delivered >= len(d.frames) {
		return unix.EAGAIN
	}
	i := d.queue[0]
	d.queue = d.queue[1:]
	d.queued[i] = false
	frame := d.frames[d.delivered]
	d.delivered++
	*b = buffer{Index: i, Type: bufTypeVideoCapture, Memory: memoryMMAP, BytesUsed: uint32(copy(d.backing[i], frame)),
		Sequence: uint32(d.delivered)}
	if d.delivered == d.errorAt {
		b.Flags |= bufFlagError
	}
	return nil
}

func (d *fakeDevice) supports(pf uint32) bool {
	for _, f := range d.formats {
		if f == pf {
			return true
		}
	}
	return false
}

func (d *fakeDevice) mmap(offset int64, length int) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := int(offset / fakePage)
	if offset%fakePage != 0 || i >= len(d.backing) || length != len(d.backing[i]) {
		return nil, fmt.Errorf("fake mmap: bad offset %d length %d", offset, length)
	}
	d.mapped++
	return d.backing[i], nil
}

func (d *fakeDevice) munmap([]byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.unmapped++
	return nil
}

func (d *fakeDevice) poll(timeout time.Duration) (bool, error) {
	d.mu.Lock()
	ready := d.streaming && len(d.queue) > 0 && (d.delivered < len(d.frames) || (d.goneAfter > 0 && d.delivered >= d.goneAfter))
	d.mu.Unlock()
	if !ready {
		time.Sleep(min(timeout, time.Millisecond))
	}
	return ready, nil
}

func (d *fakeDevice) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

func (d *fakeDevice) callLog() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}
