package device

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device/v4l2"
	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
)

// setMaxPixels sets imagefile's pixel limit for one test.
func setMaxPixels(t *testing.T, n int64) {
	t.Helper()
	old, err := imagefile.SetMaxPixels(n)
	require.NoError(t, err)
	t.Cleanup(func() { imagefile.SetMaxPixels(old) })
}

// jpegClaiming is a producer JPEG whose frame header (SOF0) claims w x h;
// its segments are walked, so the thumbnail in APP1 is left alone.
func jpegClaiming(t *testing.T, w, h int) []byte {
	t.Helper()
	b := producerJPEG(0)
	for i := 2; i+9 < len(b); {
		require.Equal(t, byte(0xFF), b[i], "a marker at %d", i)
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xC0 {
			b[i+5], b[i+6], b[i+7], b[i+8] = byte(h>>8), byte(h), byte(w>>8), byte(w)
			return b
		}
		i += 2 + n
	}
	t.Fatal("no SOF0 marker")
	return nil
}

func TestMJPEGFrameOverThePixelLimit(t *testing.T) {
	// 9000x9000 would take 120 MB once decoded: refused from the header.
	huge := jpegClaiming(t, 9000, 9000)
	d := newMJPEGDecoder(bytes.NewReader(append(producerJPEG(1), huge...)))
	var f Frame
	require.NoError(t, d.readFrame(&f))
	err := d.readFrame(&f)
	require.ErrorIs(t, err, imagefile.ErrTooLarge)
	require.EqualError(t, err, "MJPEG stream: frame 9000x9000 is 77.2M pixels: too many pixels (the limit is 64.0M, --max-pixels)")

	// The limit is imagefile's, one pixel under the 48x32 frames: refused
	// at once, not skipped as a corrupt frame.
	setMaxPixels(t, producerW*producerH-1)
	d = newMJPEGDecoder(bytes.NewReader(append(producerJPEG(1), producerJPEG(2)...)))
	require.ErrorContains(t, d.readFrame(&f), "frame 48x32 is 1536 pixels: too many pixels (the limit is 1535")
	setMaxPixels(t, producerW*producerH)
	d = newMJPEGDecoder(bytes.NewReader(producerJPEG(1)))
	require.NoError(t, d.readFrame(&f))
}

func TestCommandMJPEGOverThePixelLimit(t *testing.T) {
	spec := catClip(t, producerJPEG(0), jpegClaiming(t, 9000, 9000))
	err := afterFirstFrame(t, spec)
	require.ErrorIs(t, err, imagefile.ErrTooLarge)
	require.ErrorContains(t, err, spec+": MJPEG stream: frame 9000x9000 is 77.2M pixels")
}

func TestRawCommandFrameSizeOverThePixelLimit(t *testing.T) {
	for _, format := range []string{FormatYUV420, FormatYUYV} {
		marker := filepath.Join(t.TempDir(), "started")
		_, err := Open("cmd:touch "+marker, CameraOptions{Format: format, Width: 10000, Height: 8000})
		require.ErrorIs(t, err, imagefile.ErrTooLarge, format)
		require.EqualError(t, err, "cmd:touch "+marker+": frame size 10000x8000 is 76.3M pixels: too many pixels (the limit is 64.0M, --max-pixels)")
		require.NoFileExists(t, marker, "the command is not started")
	}
	setMaxPixels(t, 16*16)
	_, err := Open("cmd:true", CameraOptions{Format: FormatYUYV, Width: 16, Height: 17})
	require.ErrorContains(t, err, "frame size 16x17 is 272 pixels")
	cam, err := Open("cmd:true", CameraOptions{Format: FormatYUYV, Width: 16, Height: 16})
	require.NoError(t, err)
	require.NoError(t, cam.Close())
}

func TestV4L2OverThePixelLimit(t *testing.T) {
	_, err := Open("/dev/video0", CameraOptions{Width: 10000, Height: 10000})
	require.EqualError(t, err, "camera /dev/video0: frame size 10000x10000 is 95.4M pixels: too many pixels (the limit is 64.0M, --max-pixels)")

	dev := &fakeFrameDevice{format: v4l2.Format{Width: 9000, Height: 9000, PixelFormat: v4l2.PixelFormatMJPEG},
		frames: [][]byte{jpegClaiming(t, 9000, 9000)}}
	cam := &v4l2Camera{dev: dev, fmt: dev.Format()}
	var f Frame
	err = cam.Read(&f)
	require.ErrorIs(t, err, imagefile.ErrTooLarge)
	require.ErrorContains(t, err, "camera /dev/video9: MJPEG frame: frame 9000x9000")
}

func TestFolderImageOverThePixelLimit(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.png")
	require.NoError(t, os.WriteFile(huge, imagefiletest.PNGHeader(9000, 9000), 0o644))
	cam, err := Open(dir, CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	var f Frame
	err = cam.Read(&f)
	require.ErrorIs(t, err, imagefile.ErrTooLarge)
	require.ErrorContains(t, err, huge+": image 9000x9000 is 77.2M pixels")
	var skip *SkipError
	require.ErrorAs(t, err, &skip, "the folder goes on with the next image")
}
