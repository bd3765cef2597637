package v4l2

import (
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The request codes as <linux/videodev2.h> defines them on 64-bit Linux.
func TestRequestCodesMatchKernelHeaders(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the literal values below are the 64-bit ones")
	}
	require.Equal(t, uintptr(0x80685600), vidiocQueryCap)
	require.Equal(t, uintptr(0xc0405602), vidiocEnumFmt)
	require.Equal(t, uintptr(0xc0d05605), vidiocSFmt)
	require.Equal(t, uintptr(0xc0145608), vidiocReqBufs)
	require.Equal(t, uintptr(0xc0585609), vidiocQueryBuf)
	require.Equal(t, uintptr(0xc058560f), vidiocQBuf)
	require.Equal(t, uintptr(0xc0585611), vidiocDQBuf)
	require.Equal(t, uintptr(0x40045612), vidiocStreamOn)
	require.Equal(t, uintptr(0x40045613), vidiocStreamOff)
}

func TestStructLayout(t *testing.T) {
	var b buffer
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		require.EqualValues(t, 88, unsafe.Sizeof(b))
		require.EqualValues(t, 64, unsafe.Offsetof(b.M))
		require.EqualValues(t, 208, unsafe.Sizeof(format{}))
	}
	if runtime.GOARCH == "arm" || runtime.GOARCH == "386" {
		require.EqualValues(t, 68, unsafe.Sizeof(b))
		require.EqualValues(t, 204, unsafe.Sizeof(format{}))
	}
	require.EqualValues(t, 48, unsafe.Sizeof(pixFormat{}))
	require.EqualValues(t, 20, unsafe.Sizeof(requestBuffers{}))
	require.EqualValues(t, 104, unsafe.Sizeof(capability{}))
	b.setOffset(0x12345678)
	require.Equal(t, uint32(0x12345678), b.offset())
}

func TestFourCC(t *testing.T) {
	require.Equal(t, uint32(0x56595559), PixelFormatYUYV) // v4l2_fourcc('Y','U','Y','V')
	require.Equal(t, "MJPG", FourCCString(PixelFormatMJPEG))
}

func frames(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(i*7 + j)
		}
	}
	return out
}

func TestOpenStreamsAndRequeues(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV, PixelFormatMJPEG)
	fake.frames = frames(10, 320*240*2)
	d, err := open("/dev/video9", fake, Config{Width: 320, Height: 240, Formats: []uint32{PixelFormatYUYV}})
	require.NoError(t, err)
	require.Equal(t, Format{Width: 320, Height: 240, PixelFormat: PixelFormatYUYV, BytesPerLine: 640, SizeImage: 320 * 240 * 2}, d.Format())
	require.Equal(t, []string{"QUERYCAP", "S_FMT", "REQBUFS", "QUERYBUF", "QUERYBUF", "QUERYBUF", "QUERYBUF",
		"QBUF", "QBUF", "QBUF", "QBUF", "STREAMON"}, fake.callLog())

	// More frames than buffers: each buffer goes back to the driver.
	for i := range fake.frames {
		data, err := d.Frame(time.Second)
		require.NoError(t, err, "frame %d", i)
		require.Equal(t, fake.frames[i], data)
	}
	_, err = d.Frame(20 * time.Millisecond)
	require.ErrorContains(t, err, "no frame within")

	require.NoError(t, d.Close())
	require.True(t, fake.closed)
	require.Equal(t, 4, fake.mapped)
	require.Equal(t, 4, fake.unmapped)
	require.False(t, fake.streaming)
	_, err = d.Frame(time.Second)
	require.ErrorIs(t, err, ErrClosed)
}

func TestNegotiationFallsBackToNextFormat(t *testing.T) {
	fake := newFakeDevice(PixelFormatMJPEG)
	d, err := open("/dev/video9", fake, Config{Width: 1920, Height: 1080, Formats: []uint32{PixelFormatYUYV, PixelFormatMJPEG}})
	require.NoError(t, err)
	defer d.Close()
	f := d.Format()
	require.Equal(t, PixelFormatMJPEG, f.PixelFormat)
	require.Equal(t, 640, f.Width, "the driver clamps the size")
	require.Equal(t, 480, f.Height)
}

func TestNegotiationFailureNamesFormats(t *testing.T) {
	fake := newFakeDevice(FourCC("H264"), FourCC("NV12"))
	_, err := open("/dev/video9", fake, Config{Width: 640, Height: 480, Formats: []uint32{PixelFormatYUYV, PixelFormatMJPEG}})
	require.ErrorContains(t, err, "/dev/video9")
	require.ErrorContains(t, err, "asked for YUYV, MJPG")
	require.ErrorContains(t, err, "device formats: H264, NV12")
	require.True(t, fake.closed, "a failed open closes the device")
}

func TestOpenRejectsNonCaptureDevice(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV)
	fake.caps = capStreaming | capDeviceCaps // device_caps (zero) win over capabilities
	_, err := open("/dev/video9", fake, Config{Formats: []uint32{PixelFormatYUYV}})
	require.ErrorContains(t, err, "not a video capture device")
	require.True(t, fake.closed)
}

func TestOpenTooFewBuffersReleasesEverything(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV)
	fake.grant = 1
	_, err := open("/dev/video9", fake, Config{Width: 64, Height: 48, Formats: []uint32{PixelFormatYUYV}})
	require.ErrorContains(t, err, "granted 1 buffers")
	require.True(t, fake.closed)
	require.Equal(t, fake.mapped, fake.unmapped)
}

func TestErrorBuffersAreSkipped(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV)
	fake.frames = frames(3, 64*48*2)
	fake.errorAt = 2
	d, err := open("/dev/video9", fake, Config{Width: 64, Height: 48, Formats: []uint32{PixelFormatYUYV}})
	require.NoError(t, err)
	defer d.Close()
	for _, want := range [][]byte{fake.frames[0], fake.frames[2]} {
		data, err := d.Frame(time.Second)
		require.NoError(t, err)
		require.Equal(t, want, data)
	}
}

func TestDisconnectIsAnError(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV)
	fake.frames = frames(5, 64*48*2)
	fake.goneAfter = 2
	d, err := open("/dev/video9", fake, Config{Width: 64, Height: 48, Formats: []uint32{PixelFormatYUYV}})
	require.NoError(t, err)
	defer d.Close()
	for i := 0; i < 2; i++ {
		_, err := d.Frame(time.Second)
		require.NoError(t, err)
	}
	_, err = d.Frame(time.Second)
	require.True(t, errors.Is(err, unix.ENODEV), "got %v", err)
}

func TestCloseInterruptsFrame(t *testing.T) {
	fake := newFakeDevice(PixelFormatYUYV)
	d, err := open("/dev/video9", fake, Config{Width: 64, Height: 48, Formats: []uint32{PixelFormatYUYV}})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := d.Frame(time.Minute); done <- err }()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, d.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(2 * time.Second):
		t.Fatal("Frame did not return after Close")
	}
	require.True(t, fake.closed)
}

func TestOpenMissingDevice(t *testing.T) {
	_, err := Open("/dev/video-does-not-exist", Config{Formats: []uint32{PixelFormatYUYV}})
	require.ErrorContains(t, err, "/dev/video-does-not-exist")
	require.ErrorIs(t, err, unix.ENOENT)
}
