//go:build gocv

package cli

// Builds with -tags gocv open camera indexes, video files and GStreamer
// pipelines through OpenCV.
import _ "github.com/edgecnn/edgecnn/device/gocvcam"
