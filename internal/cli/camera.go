package cli

import (
	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/device"
)

// registerCameraFlags adds --camera, --camera-format and --camera-size, the
// camera flags of run and capture.
func registerCameraFlags(f *pflag.FlagSet, spec, format, size *string) {
	f.StringVar(spec, "camera", "", "camera: index, /dev/videoN, folder, video file, cmd:COMMAND or gst:PIPELINE")
	f.StringVar(format, "camera-format", "", "pixel format of cmd: output (mjpeg, yuv420, yuyv) or of a V4L2 camera (yuyv, mjpeg)")
	f.StringVar(size, "camera-size", "", "frame size WxH of raw cmd: output, or requested from a V4L2 camera (default 640x480)")
}

// openStream opens the camera spec and reads it in the background with
// sopt; a live camera that goes away is reopened (sopt.Reopen is set for
// it). It returns the stream and the camera's name.
func openStream(spec string, opt device.CameraOptions, sopt device.StreamOptions) (*device.Stream, string, error) {
	cam, err := device.Open(spec, opt)
	if err != nil {
		return nil, "", err
	}
	if !device.IsBounded(cam) {
		sopt.Reopen = func() (device.Camera, error) { return device.Open(spec, opt) }
	}
	return device.NewStream(cam, sopt), cam.Name(), nil
}
