// Package gocvcam opens cameras through OpenCV (gocv): a camera index, a
// video file, or a GStreamer pipeline such as libcamerasrc for the Pi's CSI
// cameras. It is compiled only with the build tag gocv (it needs cgo and
// OpenCV 4.6+); importing it registers it with device.Open:
//
//	go build -tags gocv,gocv_specific_modules,gocv_videoio ./cmd/edgecnn
//
// Without the tag the package is empty and device.Open explains how to get
// these sources.
package gocvcam
