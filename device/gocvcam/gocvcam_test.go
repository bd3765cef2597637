//go:build gocv

package gocvcam

import (
	"context"
	"image"
	_ "image/jpeg"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"gocv.io/x/gocv"

	"github.com/edgecnn/edgecnn/device"
)

// validDir holds the real car/truck images used as video frames.
const validDir = "../../../shared/data/car-truck/valid"

// realImages returns n images of one size, half Car and half Truck.
func realImages(t *testing.T, n int) []string {
	t.Helper()
	var files []string
	for _, class := range []string{"Car", "Truck"} {
		m, _ := filepath.Glob(filepath.Join(validDir, class, "*.jpg"))
		sort.Strings(m)
		if len(m) < n/2 {
			t.Skipf("needs %d images in %s/%s (the shared car-truck data set)", n/2, validDir, class)
		}
		files = append(files, m[:n/2]...)
	}
	return files
}

// writeVideo writes files as the frames of an MJPG .avi with
// OpenCV's VideoWriter. Every image must have the size of the first.
func writeVideo(t *testing.T, files []string) string {
	t.Helper()
	first := gocv.IMRead(files[0], gocv.IMReadColor)
	w, h := first.Cols(), first.Rows()
	first.Close()
	path := filepath.Join(t.TempDir(), "clip.avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", 10, w, h, true)
	require.NoError(t, err)
	for _, f := range files {
		img := gocv.IMRead(f, gocv.IMReadColor)
		require.False(t, img.Empty(), f)
		require.Equal(t, [2]int{w, h}, [2]int{img.Cols(), img.Rows()}, f)
		require.NoError(t, vw.Write(img))
		img.Close()
	}
	require.NoError(t, vw.Close())
	return path
}

// maxFrameDiff bounds the mean absolute difference (0-255 scale) between a
// video frame and its source image: the frame went through a second JPEG
// encoding (MJPG) and OpenCV's libjpeg decoder, the image through Go's.
// Two different images of the set differ by about 40.
const maxFrameDiff = 8.0

// meanAbsDiff compares a frame with an image file decoded by Go.
func meanAbsDiff(t *testing.T, f *device.Frame, file string) float64 {
	t.Helper()
	fh, err := os.Open(file)
	require.NoError(t, err)
	defer fh.Close()
	img, _, err := image.Decode(fh)
	require.NoError(t, err)
	b := img.Bounds()
	require.Equal(t, [2]int{b.Dx(), b.Dy()}, [2]int{f.Width, f.Height})
	var sum float64
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			for k, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
				d := float64(f.Pix[(y*f.Width+x)*3+k]) - float64(v)
				if d < 0 {
					d = -d
				}
				sum += d
			}
		}
	}
	return sum / float64(f.Width*f.Height*3)
}

func TestVideoFileFramesMatchImages(t *testing.T) {
	files := realImages(t, 10)
	path := writeVideo(t, files)
	cam, err := device.Open(path, device.CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	require.True(t, device.IsBounded(cam), "a video file ends")
	var f device.Frame
	for _, file := range files {
		require.NoError(t, cam.Read(&f), file)
		d := meanAbsDiff(t, &f, file)
		require.Less(t, d, maxFrameDiff, "%s: mean abs diff %.2f after MJPEG", file, d)
	}
	require.ErrorIs(t, cam.Read(&f), io.EOF)
	require.NoError(t, cam.Close())
	require.NoError(t, cam.Close(), "Close is idempotent")
	require.ErrorIs(t, cam.Read(&f), device.ErrClosed)
}

// Frames differ from each other, so the match above is not by accident.
func TestVideoFramesAreTheirOwnImages(t *testing.T) {
	files := realImages(t, 4)
	cam, err := device.Open(writeVideo(t, files), device.CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	var f device.Frame
	require.NoError(t, cam.Read(&f))
	require.Greater(t, meanAbsDiff(t, &f, files[3]), 3*maxFrameDiff, "frame 0 against image 3")
}

func TestStreamDeliversEveryVideoFrame(t *testing.T) {
	files := realImages(t, 8)
	cam, err := device.Open(writeVideo(t, files), device.CameraOptions{})
	require.NoError(t, err)
	s := device.NewStream(cam, device.StreamOptions{})
	defer s.Close()
	for i, file := range files {
		f, err := s.Next(context.Background())
		require.NoError(t, err)
		require.Equal(t, uint64(i), f.Seq)
		require.Less(t, meanAbsDiff(t, f, file), maxFrameDiff, file)
	}
	_, err = s.Next(context.Background())
	require.True(t, device.IsEnd(err), "got %v", err)
	require.Zero(t, s.Dropped())
}

func TestBadVideoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.avi")
	require.NoError(t, os.WriteFile(path, []byte("RIFF....AVI not really"), 0o644))
	_, err := device.Open(path, device.CameraOptions{})
	require.ErrorContains(t, err, path)
}

func TestGStreamerPipeline(t *testing.T) {
	cam, err := device.Open("gst:videotestsrc num-buffers=5 pattern=ball ! video/x-raw,width=160,height=120 ! videoconvert ! video/x-raw,format=BGR ! appsink", device.CameraOptions{})
	if err != nil {
		t.Skipf("GStreamer videotestsrc not available: %v", err)
	}
	defer cam.Close()
	require.False(t, device.IsBounded(cam), "a pipeline is live")
	var f device.Frame
	for i := 0; i < 5; i++ {
		require.NoError(t, cam.Read(&f), "frame %d", i)
		require.Equal(t, [2]int{160, 120}, [2]int{f.Width, f.Height})
	}
	require.ErrorContains(t, cam.Read(&f), "no frame")
}

func TestMissingCameraIndex(t *testing.T) {
	_, err := device.Open("57", device.CameraOptions{})
	require.ErrorContains(t, err, "camera 57")
}
