package device

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device/v4l2"
)

// fakeFrameDevice hands out prepared buffers as a V4L2 device would.
type fakeFrameDevice struct {
	format v4l2.Format
	frames [][]byte
	closed bool
}

func (d *fakeFrameDevice) Frame(time.Duration) ([]byte, error) {
	if d.closed {
		return nil, v4l2.ErrClosed
	}
	if len(d.frames) == 0 {
		return nil, errors.New("/dev/video9: no frame within 5s")
	}
	f := d.frames[0]
	d.frames = d.frames[1:]
	return f, nil
}
func (d *fakeFrameDevice) Format() v4l2.Format { return d.format }
func (d *fakeFrameDevice) Path() string        { return "/dev/video9" }
func (d *fakeFrameDevice) Close() error        { d.closed = true; return nil }

func TestV4L2CameraYUYVWithRowPadding(t *testing.T) {
	const w, h, stride = 6, 4, 16
	buf := make([]byte, stride*h)
	for i := range buf {
		buf[i] = byte(30 + i*7)
	}
	dev := &fakeFrameDevice{format: v4l2.Format{Width: w, Height: h, PixelFormat: v4l2.PixelFormatYUYV, BytesPerLine: stride}, frames: [][]byte{buf, buf[:20]}}
	cam := &v4l2Camera{dev: dev, fmt: dev.Format()}
	var f, want Frame
	require.NoError(t, cam.Read(&f))
	yuyvToFrame(&want, buf, w, h, stride)
	require.Equal(t, want.Pix, f.Pix)
	require.ErrorContains(t, cam.Read(&f), "short YUYV frame")
	require.ErrorContains(t, cam.Read(&f), "no frame within")
	require.NoError(t, cam.Close())
	require.ErrorIs(t, cam.Read(&f), ErrClosed)
	require.Equal(t, "/dev/video9 (YUYV 6x4)", cam.Name())
}

func TestV4L2CameraMJPEGWithoutHuffmanTables(t *testing.T) {
	orig := producerJPEG(4)
	bare := stripHuffmanTables(t, orig)
	dev := &fakeFrameDevice{format: v4l2.Format{Width: producerW, Height: producerH, PixelFormat: v4l2.PixelFormatMJPEG},
		frames: [][]byte{bare, []byte("\xff\xd8garbage")}}
	cam := &v4l2Camera{dev: dev, fmt: dev.Format()}
	var f Frame
	require.NoError(t, cam.Read(&f))
	img, err := jpeg.Decode(bytes.NewReader(orig))
	require.NoError(t, err)
	requireFrameMatches(t, img, &f, 0)
	require.ErrorContains(t, cam.Read(&f), "MJPEG frame")
}
