package device

// Raw camera frames are BT.601 "limited range" YUV (Y in [16, 235], chroma
// in [16, 240]), as libcamera delivers them for video below 720p and as UVC
// webcams do. yuvToRGB converts one pixel in 16.16 fixed point:
//
//	R = 1.164(Y-16) + 1.596(V-128)
//	G = 1.164(Y-16) - 0.392(U-128) - 0.813(V-128)
//	B = 1.164(Y-16) + 2.017(U-128)
const (
	yuvY  = 76309  // 1.164 * 65536
	yuvRV = 104597 // 1.596 * 65536
	yuvGU = 25675  // 0.392 * 65536
	yuvGV = 53279  // 0.813 * 65536
	yuvBU = 132201 // 2.017 * 65536
)

func yuvToRGB(y, u, v byte) (r, g, b byte) {
	yy := (int32(y) - 16) * yuvY
	uu, vv := int32(u)-128, int32(v)-128
	return clamp16(yy + yuvRV*vv), clamp16(yy - yuvGU*uu - yuvGV*vv), clamp16(yy + yuvBU*uu)
}

// clamp16 rounds a 16.16 fixed-point value to a byte, saturating.
func clamp16(x int32) byte {
	x = (x + 1<<15) >> 16
	if x < 0 {
		return 0
	}
	if x > 255 {
		return 255
	}
	return byte(x)
}

// i420Size is the byte size of a w x h I420 frame (chroma planes rounded up).
func i420Size(w, h int) int {
	cw, ch := (w+1)/2, (h+1)/2
	return w*h + 2*cw*ch
}

// yuyvSize is the byte size of a w x h YUYV frame with no row padding.
func yuyvSize(w, h int) int { return w * h * 2 }

// i420ToFrame converts a tightly packed I420 frame (Y plane, U plane, V
// plane) into f.
func i420ToFrame(f *Frame, src []byte, w, h int) {
	f.Resize(w, h)
	cw, ch := (w+1)/2, (h+1)/2
	yp, up, vp := src[:w*h], src[w*h:w*h+cw*ch], src[w*h+cw*ch:w*h+2*cw*ch]
	for y := 0; y < h; y++ {
		row := f.Pix[y*w*3 : (y+1)*w*3]
		yr, ur, vr := yp[y*w:(y+1)*w], up[(y/2)*cw:], vp[(y/2)*cw:]
		for x := 0; x < w; x++ {
			row[x*3], row[x*3+1], row[x*3+2] = yuvToRGB(yr[x], ur[x/2], vr[x/2])
		}
	}
}

// yuyvToFrame converts a YUYV (Y0 U Y1 V) frame with the given row stride in
// bytes into f. w must be even.
func yuyvToFrame(f *Frame, src []byte, w, h, stride int) {
	f.Resize(w, h)
	for y := 0; y < h; y++ {
		s := src[y*stride : y*stride+2*w]
		row := f.Pix[y*w*3 : (y+1)*w*3]
		for x := 0; x+1 < w; x += 2 {
			y0, u, y1, v := s[x*2], s[x*2+1], s[x*2+2], s[x*2+3]
			row[x*3], row[x*3+1], row[x*3+2] = yuvToRGB(y0, u, v)
			row[x*3+3], row[x*3+4], row[x*3+5] = yuvToRGB(y1, u, v)
		}
	}
}
