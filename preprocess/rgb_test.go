package preprocess

import (
	"image"
	"image/color"
	"image/color/palette"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refRGB converts through the image's own At and color.NRGBAModel: the
// standard library's definition of each pixel's straight colour.
func refRGB(img image.Image) []byte {
	r := img.Bounds()
	out := make([]byte, 0, r.Dx()*r.Dy()*3)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.At(x, y)
			if yc, ok := c.(color.YCbCr); ok { // At's 16-bit path rounds differently
				rr, gg, bb := color.YCbCrToRGB(yc.Y, yc.Cb, yc.Cr)
				out = append(out, rr, gg, bb)
				continue
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			out = append(out, n.R, n.G, n.B)
		}
	}
	return out
}

// testImages returns one image of every fast-path type (and a CMYK for the
// generic path), with random pixels, each also as an offset sub-image.
func testImages() map[string]image.Image {
	rng := rand.New(rand.NewPCG(11, 12))
	rect := image.Rect(3, 2, 3+17, 2+11)
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
	}
	rgba := image.NewRGBA(rect)
	fill(rgba.Pix)
	for i := 3; i < len(rgba.Pix); i += 4 { // valid premultiplied colours
		rgba.Pix[i] = 255
	}
	nrgba := image.NewNRGBA(rect)
	fill(nrgba.Pix)
	gray := image.NewGray(rect)
	fill(gray.Pix)
	pal := image.NewPaletted(rect, palette.Plan9)
	fill(pal.Pix)
	cmyk := image.NewCMYK(rect)
	fill(cmyk.Pix)
	imgs := map[string]image.Image{"rgba": rgba, "nrgba": nrgba, "gray": gray, "paletted": pal, "cmyk": cmyk}
	for name, ratio := range map[string]image.YCbCrSubsampleRatio{
		"ycbcr420": image.YCbCrSubsampleRatio420, "ycbcr422": image.YCbCrSubsampleRatio422,
		"ycbcr444": image.YCbCrSubsampleRatio444, "ycbcr440": image.YCbCrSubsampleRatio440,
		"ycbcr411": image.YCbCrSubsampleRatio411, "ycbcr410": image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(rect, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		imgs[name] = m
	}
	sub := image.Rect(5, 4, 16, 12)
	all := map[string]image.Image{}
	for name, img := range imgs {
		all[name] = img
		all[name+"-sub"] = img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(sub)
	}
	return all
}

func TestToRGBMatchesStandardLibrary(t *testing.T) {
	for name, img := range testImages() {
		r := img.Bounds()
		dst := make([]byte, r.Dx()*r.Dy()*3)
		ToRGB(dst, img)
		require.Equal(t, refRGB(img), dst, name)
	}
}

func TestToRGBDropsAlpha(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	copy(n.Pix, []byte{200, 100, 50, 10})
	dst := make([]byte, 3)
	ToRGB(dst, n)
	require.Equal(t, []byte{200, 100, 50}, dst, "straight colour kept, as PIL convert('RGB')")

	p := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.NRGBA{200, 100, 50, 10}})
	ToRGB(dst, p)
	require.Equal(t, []byte{200, 100, 50}, dst)
}

func TestToRGBSmallDstPanics(t *testing.T) {
	require.Panics(t, func() { ToRGB(make([]byte, 5), image.NewGray(image.Rect(0, 0, 2, 1))) })
}

func TestToRGBAllocatesNothing(t *testing.T) {
	for name, img := range testImages() {
		if name == "cmyk" || name == "cmyk-sub" {
			continue // the generic path boxes each colour
		}
		dst := make([]byte, 17*11*3)
		require.Zero(t, testing.AllocsPerRun(5, func() { ToRGB(dst, img) }), name)
	}
}

func TestResizeImage(t *testing.T) {
	img := testImages()["ycbcr420"]
	r := img.Bounds()
	rgb := make([]byte, r.Dx()*r.Dy()*3)
	ToRGB(rgb, img)
	want := make([]byte, 5*4*3)
	ResizeRGB(want, 5, 4, rgb, r.Dx(), r.Dy(), r.Dx()*3, Bilinear, nil)

	got := make([]byte, len(want))
	scratch := make([]byte, len(rgb)+10)
	ResizeImage(got, 5, 4, img, Bilinear, nil, scratch)
	require.Equal(t, want, got)
	require.Zero(t, testing.AllocsPerRun(5, func() { ResizeImage(got, 5, 4, img, Bilinear, nil, scratch) }))
}

func BenchmarkToRGBYCbCr640x480(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	dst := make([]byte, 640*480*3)
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		ToRGB(dst, m)
	}
}
