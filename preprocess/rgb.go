package preprocess

import (
	"fmt"
	"image"
	"image/color"
)

// ToRGB converts img to packed RGB in dst (len >= w*h*3 for img's bounds).
// Alpha is dropped, not composited (as PIL's convert("RGB") does, which is
// what Keras uses): straight-alpha images keep their colour values. Fast
// paths for *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Gray and
// *image.Paletted allocate nothing; other types go through color.NRGBAModel.
// ToRGB panics if dst is too small.
func ToRGB(dst []byte, img image.Image) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if len(dst) < w*h*3 {
		panic(fmt.Sprintf("preprocess: dst has %d bytes, %dx%d RGB needs %d", len(dst), w, h, w*h*3))
	}
	switch m := img.(type) {
	case *image.RGBA:
		fromRGBA(dst, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, h)
	case *image.NRGBA:
		fromRGBA(dst, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, h)
	case *image.Gray:
		fromGray(dst, m, w, h)
	case *image.YCbCr:
		fromYCbCr(dst, m, r, w, h)
	case *image.Paletted:
		fromPaletted(dst, m, w, h)
	default:
		fromAny(dst, img, r)
	}
}

// ResizeImage converts img to RGB in scratch (len >= width*height*3 of img)
// and resizes it into dst (dw x dh) with ResizeRGB.
func ResizeImage(dst []byte, dw, dh int, img image.Image, method string, lut *[256]byte, scratch []byte) {
	r := img.Bounds()
	ToRGB(scratch, img)
	ResizeRGB(dst, dw, dh, scratch, r.Dx(), r.Dy(), r.Dx()*3, method, lut)
}

func fromRGBA(dst, pix []byte, stride, off, w, h int) {
	for y := 0; y < h; y++ {
		s := pix[off+y*stride : off+y*stride+w*4]
		d := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			d[x*3] = s[x*4]
			d[x*3+1] = s[x*4+1]
			d[x*3+2] = s[x*4+2]
		}
	}
}

func fromGray(dst []byte, m *image.Gray, w, h int) {
	off := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y)
	for y := 0; y < h; y++ {
		s := m.Pix[off+y*m.Stride : off+y*m.Stride+w]
		d := dst[y*w*3 : (y+1)*w*3]
		for x, v := range s {
			d[x*3], d[x*3+1], d[x*3+2] = v, v, v
		}
	}
}

func fromYCbCr(dst []byte, m *image.YCbCr, r image.Rectangle, w, h int) {
	sx, sy := chromaSubsampling(m.SubsampleRatio)
	for y := 0; y < h; y++ {
		iy := r.Min.Y + y
		yRow := m.Y[(iy-m.Rect.Min.Y)*m.YStride:]
		cRow := (iy/sy - m.Rect.Min.Y/sy) * m.CStride
		cb, cr := m.Cb[cRow:], m.Cr[cRow:]
		d := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			ix := r.Min.X + x
			ci := ix/sx - m.Rect.Min.X/sx
			d[x*3], d[x*3+1], d[x*3+2] = color.YCbCrToRGB(yRow[ix-m.Rect.Min.X], cb[ci], cr[ci])
		}
	}
}

// chromaSubsampling returns the horizontal and vertical chroma subsampling
// of ratio, which image.YCbCr.COffset divides coordinates by.
func chromaSubsampling(ratio image.YCbCrSubsampleRatio) (sx, sy int) {
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

func fromPaletted(dst []byte, m *image.Paletted, w, h int) {
	var table [256][3]byte
	for i, c := range m.Palette {
		table[i] = straightRGB(c)
	}
	off := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y)
	for y := 0; y < h; y++ {
		s := m.Pix[off+y*m.Stride : off+y*m.Stride+w]
		d := dst[y*w*3 : (y+1)*w*3]
		for x, v := range s {
			copy(d[x*3:x*3+3], table[v][:])
		}
	}
}

func fromAny(dst []byte, img image.Image, r image.Rectangle) {
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst[(y-r.Min.Y)*w*3:]
		for x := r.Min.X; x < r.Max.X; x++ {
			i := (x - r.Min.X) * 3
			p := straightRGB(img.At(x, y))
			copy(d[i:i+3], p[:])
		}
	}
}

// straightRGB is c's colour without alpha premultiplication, 8 bits per
// channel, as color.NRGBAModel computes it.
func straightRGB(c color.Color) [3]byte {
	r, g, b, a := c.RGBA()
	switch a {
	case 0:
		return [3]byte{}
	case 0xffff:
		return [3]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8)}
	}
	return [3]byte{byte(r * 0xffff / a >> 8), byte(g * 0xffff / a >> 8), byte(b * 0xffff / a >> 8)}
}
