package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// VideoSource is what a registered video opener is asked to open.
type VideoSource struct {
	// Index is a camera index (as OpenCV numbers them) when >= 0.
	Index int
	// File is a video file when not empty.
	File string
	// Pipeline is a GStreamer pipeline when not empty.
	Pipeline string
}

// VideoOpener opens camera indexes, video files and GStreamer pipelines.
type VideoOpener func(src VideoSource, opt CameraOptions) (Camera, error)

var videoOpener VideoOpener

// RegisterVideoOpener installs the opener for indexes, video files and
// GStreamer pipelines. The gocv camera package calls it from init, so a
// binary built with -tags gocv that imports it gains those sources.
func RegisterVideoOpener(open VideoOpener) { videoOpener = open }

// gocvHint tells the user how to get the sources that need OpenCV.
const gocvHint = "build edgecnn with -tags gocv,gocv_specific_modules,gocv_videoio (needs OpenCV: apt-get install libopencv-dev)"

// Open opens a camera from a spec:
//
//	0, 1, ...        camera index: OpenCV's in gocv builds, else /dev/videoN
//	/dev/videoN      V4L2 device, YUYV or MJPEG, read with plain ioctls
//	DIR              folder of .jpg/.jpeg/.png/.gif/.bmp images, sorted, then the end
//	FILE             video file (gocv builds only)
//	cmd:COMMAND      MJPEG, or raw yuv420/yuyv (opt.Format), from COMMAND's stdout
//	gst:PIPELINE     GStreamer pipeline ending in appsink (gocv builds only)
func Open(spec string, opt CameraOptions) (Camera, error) {
	switch {
	case spec == "":
		return nil, errors.New("no camera given (want an index, /dev/videoN, a folder, a video file, cmd:... or gst:...)")
	case strings.HasPrefix(spec, "cmd:"):
		line := strings.TrimSpace(strings.TrimPrefix(spec, "cmd:"))
		if line == "" {
			return nil, fmt.Errorf("camera %q: empty command", spec)
		}
		return OpenCommand(line, opt)
	case strings.HasPrefix(spec, "gst:"):
		pipe := strings.TrimSpace(strings.TrimPrefix(spec, "gst:"))
		if videoOpener == nil {
			return nil, fmt.Errorf("camera %q: GStreamer pipelines need OpenCV: %s", spec, gocvHint)
		}
		return videoOpener(VideoSource{Index: -1, Pipeline: pipe}, opt)
	case strings.HasPrefix(spec, "/dev/"):
		return OpenV4L2(spec, opt)
	}
	if n, err := strconv.Atoi(spec); err == nil && n >= 0 {
		if videoOpener != nil {
			return videoOpener(VideoSource{Index: n}, opt)
		}
		return OpenV4L2(fmt.Sprintf("/dev/video%d", n), opt)
	}
	st, err := os.Stat(spec)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("camera %q: no such folder, file or device", spec)
	}
	if err != nil {
		return nil, fmt.Errorf("camera %q: %w", spec, err)
	}
	if st.IsDir() {
		return OpenFolder(spec)
	}
	if videoOpener == nil {
		return nil, fmt.Errorf("camera %q: video files need OpenCV: %s", spec, gocvHint)
	}
	return videoOpener(VideoSource{Index: -1, File: spec}, opt)
}
