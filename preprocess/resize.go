// Package preprocess turns images and camera frames into a model's input
// pixels. Training, calibration and the device all call the same code, so a
// frame on the device is prepared exactly as the training images were.
//
// Resizing follows tf.image.resize (half-pixel centres, antialias off) for
// bilinear and nearest, with one addition: when the source is at least twice
// the destination in a dimension, it is first box-averaged by the integer
// factor (area averaging) so large camera frames do not alias.
package preprocess

import "fmt"

// Interpolation methods accepted by ResizeRGB.
const (
	// Bilinear is tf.image.resize's bilinear method: half-pixel centres,
	// antialias off.
	Bilinear = "bilinear"
	// Nearest is tf.image.resize's nearest-neighbour method with half-pixel
	// centres.
	Nearest = "nearest"
)

// ValidMethod reports whether method is an interpolation method ResizeRGB
// accepts ("" counts as Bilinear).
func ValidMethod(method string) bool {
	return method == "" || method == Bilinear || method == Nearest
}

// ResizeRGB resizes src (sw x sh packed RGB, row stride sstride bytes) into
// dst (dw x dh packed RGB, len >= dw*dh*3) with method (Bilinear, the
// default when method is "", or Nearest).
//
// When sw >= 2*dw (or sh >= 2*dh) the source is first box-averaged by the
// integer factor fx = sw/dw (fy = sh/dh); the sw - fx*(sw/fx) columns left
// over are split evenly between the left and right edges and dropped. The
// interpolation then runs on that averaged image, without ever storing it.
//
// If lut != nil each output byte v is written as lut[v]. ResizeRGB
// allocates nothing. It panics if a buffer is too small for the sizes
// given, or on an unknown method, as both are programming errors.
func ResizeRGB(dst []byte, dw, dh int, src []byte, sw, sh, sstride int, method string, lut *[256]byte) {
	checkSizes(dst, dw, dh, src, sw, sh, sstride)
	if !ValidMethod(method) {
		panic("preprocess: unknown interpolation method " + method)
	}
	if dw == sw && dh == sh {
		copyRGB(dst, src, sw, sh, sstride, lut)
		return
	}
	b := newBoxImage(src, sw, sh, sstride, dw, dh)
	if method == Nearest {
		resizeNearest(dst, dw, dh, &b, lut)
		return
	}
	resizeBilinear(dst, dw, dh, &b, lut)
}

func checkSizes(dst []byte, dw, dh int, src []byte, sw, sh, sstride int) {
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 || sstride < sw*3 {
		panic(fmt.Sprintf("preprocess: bad sizes dst %dx%d, src %dx%d stride %d", dw, dh, sw, sh, sstride))
	}
	if len(dst) < dw*dh*3 {
		panic(fmt.Sprintf("preprocess: dst has %d bytes, %dx%d RGB needs %d", len(dst), dw, dh, dw*dh*3))
	}
	if need := (sh-1)*sstride + sw*3; len(src) < need {
		panic(fmt.Sprintf("preprocess: src has %d bytes, %dx%d RGB with stride %d needs %d", len(src), sw, sh, sstride, need))
	}
}

// copyRGB is the identity resize: a row copy, through lut if given.
func copyRGB(dst, src []byte, w, h, stride int, lut *[256]byte) {
	row := w * 3
	for y := 0; y < h; y++ {
		d := dst[y*row : (y+1)*row]
		s := src[y*stride : y*stride+row]
		if lut == nil {
			copy(d, s)
			continue
		}
		for i, v := range s {
			d[i] = lut[v]
		}
	}
}

// store writes the value v (in [0, 255], being a convex combination of
// bytes) rounded half up to dst, through lut if given.
func store(dst []byte, i int, v float32, lut *[256]byte) {
	q := byte(v + 0.5)
	if lut != nil {
		q = lut[q]
	}
	dst[i] = q
}
