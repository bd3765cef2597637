package device

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"testing"
)

// The test binary doubles as a camera command: with EDGECNN_TEST_PRODUCER
// set it writes frames to stdout and exits instead of running tests.
func TestMain(m *testing.M) {
	switch os.Getenv("EDGECNN_TEST_PRODUCER") {
	case "":
		os.Exit(m.Run())
	case "mjpeg":
		for i := 0; i < producerFrames; i++ {
			os.Stdout.Write([]byte("junk between frames \xff\x00"))
			os.Stdout.Write(producerJPEG(i))
		}
	case "i420":
		for i := 0; i < producerFrames; i++ {
			os.Stdout.Write(producerI420(i, producerW, producerH))
		}
	case "fail":
		fmt.Fprintln(os.Stderr, "camera not found")
		os.Exit(3)
	}
	os.Exit(0)
}

const producerFrames, producerW, producerH = 6, 48, 32

// producerImage is test frame i: a gradient whose colours depend on i.
func producerImage(i int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, producerW, producerH))
	for y := 0; y < producerH; y++ {
		for x := 0; x < producerW; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x*5 + i*20), uint8(y*7 + i*3), uint8(255 - x*3 - i*10), 255})
		}
	}
	return img
}

// producerJPEG encodes frame i with an APP1 segment that embeds a thumbnail
// JPEG (its own SOI and EOI markers), as cameras with EXIF data send.
func producerJPEG(i int) []byte {
	var thumb, full bytes.Buffer
	jpeg.Encode(&thumb, producerImage(i).SubImage(image.Rect(0, 0, 8, 8)), nil)
	jpeg.Encode(&full, producerImage(i), &jpeg.Options{Quality: 90})
	b := full.Bytes()
	app1 := append([]byte{0xFF, 0xE1, byte((len(thumb.Bytes()) + 2) >> 8), byte(len(thumb.Bytes()) + 2)}, thumb.Bytes()...)
	out := append([]byte{}, b[:2]...)
	out = append(out, app1...)
	return append(out, b[2:]...)
}

// producerI420 is frame i as I420 with known Y, U and V values per pixel.
func producerI420(i, w, h int) []byte {
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]byte, w*h+2*cw*ch)
	for p := 0; p < w*h; p++ {
		buf[p] = byte(16 + (p*3+i*11)%220)
	}
	for p := 0; p < cw*ch; p++ {
		buf[w*h+p] = byte(16 + (p*5+i)%225)
		buf[w*h+cw*ch+p] = byte(240 - (p*7+i)%225)
	}
	return buf
}
