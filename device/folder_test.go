package device

import (
	"context"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/imagefile/imagefiletest"
)

func writeJPEG(t *testing.T, path string, i int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, producerJPEG(i), 0o644))
}

func TestFolderReadsImagesInSortedOrder(t *testing.T) {
	dir := t.TempDir()
	imagefiletest.Write(t, filepath.Join(dir, "b", "2.png"), producerImage(2))
	writeJPEG(t, filepath.Join(dir, "a", "1.jpg"), 1)
	imagefiletest.Write(t, filepath.Join(dir, "a", "0.png"), producerImage(0))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o644))

	cam, err := Open(dir, CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	require.True(t, IsBounded(cam))
	var f Frame
	for i, name := range []string{"a/0.png", "a/1.jpg", "b/2.png"} {
		require.NoError(t, cam.Read(&f))
		require.Equal(t, filepath.Join(dir, name), f.File)
		fh, err := os.Open(f.File)
		require.NoError(t, err)
		img, _, err := image.Decode(fh)
		fh.Close()
		require.NoError(t, err)
		tol := 0
		if i == 1 {
			tol = 1 // image.YCbCr's At converts with more precision than YCbCrToRGB
		}
		requireFrameMatches(t, img, &f, tol)
	}
	require.ErrorIs(t, cam.Read(&f), io.EOF)
}

// An image that cannot be read is skipped, by name; the folder goes on.
func TestFolderSkipsBadImages(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "b-broken.jpg")
	require.NoError(t, os.WriteFile(bad, []byte("\xff\xd8 not really a jpeg"), 0o644))
	huge := filepath.Join(dir, "c-huge.png")
	require.NoError(t, os.WriteFile(huge, imagefiletest.PNGHeader(9000, 9000), 0o644))
	gone := filepath.Join(dir, "d-deleted.png")
	for i, name := range []string{"a.png", "d-deleted.png", "e.png"} {
		imagefiletest.Write(t, filepath.Join(dir, name), producerImage(i))
	}
	cam, err := Open(dir, CameraOptions{})
	require.NoError(t, err)
	defer cam.Close()
	require.NoError(t, os.Remove(gone)) // listed, then gone before it is read

	var f Frame
	require.NoError(t, cam.Read(&f))
	require.Equal(t, filepath.Join(dir, "a.png"), f.File)
	var skip *SkipError
	for _, want := range []string{bad + ": cannot decode", huge + ": image 9000x9000 is 77.2M pixels", gone} {
		err := cam.Read(&f)
		require.ErrorAs(t, err, &skip)
		require.ErrorContains(t, skip.Err, want)
	}
	require.NoError(t, cam.Read(&f))
	require.Equal(t, filepath.Join(dir, "e.png"), f.File)
	require.ErrorIs(t, cam.Read(&f), io.EOF)

	// A stream skips them with a warning and delivers the rest (the folder
	// is listed again: without the deleted file).
	cam, err = Open(dir, CameraOptions{})
	require.NoError(t, err)
	log := &logBuffer{}
	s := NewStream(cam, StreamOptions{Log: log})
	defer s.Close()
	var files []string
	for {
		f, err := s.Next(context.Background())
		if IsEnd(err) {
			break
		}
		require.NoError(t, err)
		files = append(files, f.File)
	}
	require.Equal(t, []string{filepath.Join(dir, "a.png"), filepath.Join(dir, "e.png")}, files)
	require.Equal(t, uint64(2), s.Skipped())
	lines := log.lines()
	require.Len(t, lines, 2)
	require.True(t, strings.HasPrefix(lines[0], "warning: skipping "+bad+": cannot decode: "), lines[0])
	require.True(t, strings.HasPrefix(lines[1], "warning: skipping "+huge+": image 9000x9000"), lines[1])
}

func TestFolderWithoutImages(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, CameraOptions{})
	require.ErrorContains(t, err, "no .jpg, .jpeg, .png, .gif or .bmp images")
	require.ErrorContains(t, err, dir)
}

func TestOpenSpecErrors(t *testing.T) {
	_, err := Open("", CameraOptions{})
	require.ErrorContains(t, err, "no camera given")
	_, err = Open(filepath.Join(t.TempDir(), "missing"), CameraOptions{})
	require.ErrorContains(t, err, "no such folder, file or device")
	_, err = Open("/dev/video-missing", CameraOptions{})
	require.ErrorContains(t, err, "/dev/video-missing")
	_, err = Open("/dev/null", CameraOptions{})
	require.ErrorContains(t, err, "VIDIOC_QUERYCAP")
	_, err = Open("/dev/video0", CameraOptions{Format: FormatYUV420})
	require.ErrorContains(t, err, "not available from V4L2")

	if videoOpener != nil {
		t.Skip("built with a video opener (gocv)")
	}
	video := filepath.Join(t.TempDir(), "clip.avi")
	require.NoError(t, os.WriteFile(video, []byte("RIFF"), 0o644))
	_, err = Open(video, CameraOptions{})
	require.ErrorContains(t, err, "-tags gocv")
	_, err = Open("gst:videotestsrc ! appsink", CameraOptions{})
	require.ErrorContains(t, err, "-tags gocv")
	_, err = Open("99", CameraOptions{}) // no gocv: index 99 means /dev/video99
	require.ErrorContains(t, err, "/dev/video99")
}
