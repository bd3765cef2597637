package v4l2

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The structures below mirror <linux/videodev2.h>; Go lays them out as C
// does on both 32- and 64-bit Linux (the pointer-sized members are uintptr,
// the timestamp is unix.Timeval).

// capability is struct v4l2_capability.
type capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

// fmtDesc is struct v4l2_fmtdesc.
type fmtDesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

// pixFormat is struct v4l2_pix_format.
type pixFormat struct {
	Width        uint32
	Height       uint32
	PixelFormat  uint32
	Field        uint32
	BytesPerLine uint32
	SizeImage    uint32
	Colorspace   uint32
	Priv         uint32
	Flags        uint32
	YCbCrEnc     uint32
	Quantization uint32
	XferFunc     uint32
}

// format is struct v4l2_format. The union is pointer-aligned because one of
// its members (struct v4l2_window) holds pointers.
type format struct {
	Type uint32
	Fmt  struct {
		_   [0]uintptr
		Raw [200]byte
	}
}

// pix returns the union as the single-planar pixel format.
func (f *format) pix() *pixFormat { return (*pixFormat)(unsafe.Pointer(&f.Fmt.Raw[0])) }

// requestBuffers is struct v4l2_requestbuffers.
type requestBuffers struct {
	Count        uint32
	Type         uint32
	Memory       uint32
	Capabilities uint32
	Flags        uint8
	Reserved     [3]uint8
}

// timecode is struct v4l2_timecode.
type timecode struct {
	Type     uint32
	Flags    uint32
	Frames   uint8
	Seconds  uint8
	Minutes  uint8
	Hours    uint8
	UserBits [4]uint8
}

// buffer is struct v4l2_buffer.
type buffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	Timestamp unix.Timeval
	Timecode  timecode
	Sequence  uint32
	Memory    uint32
	M         uintptr // union { __u32 offset; unsigned long userptr; struct v4l2_plane *planes; __s32 fd; }
	Length    uint32
	Reserved2 uint32
	RequestFD int32
}

// offset reads the union member m.offset (the mmap offset of the buffer).
func (b *buffer) offset() uint32 { return *(*uint32)(unsafe.Pointer(&b.M)) }

// setOffset writes m.offset (used by the fake device in tests).
func (b *buffer) setOffset(o uint32) { *(*uint32)(unsafe.Pointer(&b.M)) = o }

// Buffer types, memory kinds, fields, capability and buffer flags.
const (
	bufTypeVideoCapture = 1
	memoryMMAP          = 1
	fieldNone           = 1

	capVideoCapture = 0x00000001
	capStreaming    = 0x04000000
	capDeviceCaps   = 0x80000000

	bufFlagError = 0x00000040
)

// ioctl request encoding (asm-generic/ioctl.h).
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

// ioctl requests.
var (
	vidiocQueryCap  = ioc(iocRead, 0, unsafe.Sizeof(capability{}))
	vidiocEnumFmt   = ioc(iocRead|iocWrite, 2, unsafe.Sizeof(fmtDesc{}))
	vidiocSFmt      = ioc(iocRead|iocWrite, 5, unsafe.Sizeof(format{}))
	vidiocReqBufs   = ioc(iocRead|iocWrite, 8, unsafe.Sizeof(requestBuffers{}))
	vidiocQueryBuf  = ioc(iocRead|iocWrite, 9, unsafe.Sizeof(buffer{}))
	vidiocQBuf      = ioc(iocRead|iocWrite, 15, unsafe.Sizeof(buffer{}))
	vidiocDQBuf     = ioc(iocRead|iocWrite, 17, unsafe.Sizeof(buffer{}))
	vidiocStreamOn  = ioc(iocWrite, 18, unsafe.Sizeof(int32(0)))
	vidiocStreamOff = ioc(iocWrite, 19, unsafe.Sizeof(int32(0)))
)
