package device

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// vgaJPEG is a 640x480 camera-like JPEG (4:2:0, quality 85).
func vgaJPEG(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{uint8(x ^ y), uint8(x * 3), uint8(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// endless repeats one JPEG forever, as a camera command's stdout would.
type endless struct {
	data []byte
	off  int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.data[e.off:])
	e.off = (e.off + n) % len(e.data)
	return n, nil
}

// BenchmarkMJPEGFrame640x480 splits and decodes one MJPEG frame into RGB.
func BenchmarkMJPEGFrame640x480(b *testing.B) {
	d := newMJPEGDecoder(&endless{data: vgaJPEG(b)})
	var f Frame
	b.ReportAllocs()
	for b.Loop() {
		if err := d.readFrame(&f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkYUYV640x480 converts one raw YUYV frame to RGB.
func BenchmarkYUYV640x480(b *testing.B) {
	src := make([]byte, yuyvSize(640, 480))
	for i := range src {
		src[i] = byte(i * 7)
	}
	var f Frame
	b.ReportAllocs()
	for b.Loop() {
		yuyvToFrame(&f, src, 640, 480, 1280)
	}
}

// BenchmarkI420640x480 converts one raw I420 frame to RGB.
func BenchmarkI420640x480(b *testing.B) {
	src := producerI420(1, 640, 480)
	var f Frame
	b.ReportAllocs()
	for b.Loop() {
		i420ToFrame(&f, src, 640, 480)
	}
}
