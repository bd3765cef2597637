package device

import (
	"image"
	"image/color"
)

// imageToFrame converts img to packed RGB in f, with fast paths for the
// types image/jpeg and image/png decode to. Alpha is ignored.
func imageToFrame(f *Frame, img image.Image) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	f.Resize(w, h)
	dst := f.Pix
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			row := dst[y*w*3 : (y+1)*w*3]
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				row[x*3], row[x*3+1], row[x*3+2] = r, g, bl
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := dst[y*w*3 : (y+1)*w*3]
			for x := 0; x < w; x++ {
				v := src[x]
				row[x*3], row[x*3+1], row[x*3+2] = v, v, v
			}
		}
	case *image.RGBA:
		copyRGBX(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h)
	case *image.NRGBA:
		copyRGBX(dst, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h)
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				dst[i], dst[i+1], dst[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
}

// copyRGBX copies the RGB bytes of a 4-byte-per-pixel image.
func copyRGBX(dst, src []byte, stride, off, w, h int) {
	for y := 0; y < h; y++ {
		s := src[off+y*stride:]
		d := dst[y*w*3 : (y+1)*w*3]
		for x := 0; x < w; x++ {
			d[x*3], d[x*3+1], d[x*3+2] = s[x*4], s[x*4+1], s[x*4+2]
		}
	}
}
