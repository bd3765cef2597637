package infer

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/preprocess"
)

// input prepares frames: resize, scale and (int8) quantise in one pass,
// straight into the arena's input tensor.
type input struct {
	w, h   int
	method string
	q8     []byte       // int8 models: the input tensor's bytes
	lut    [256]byte    // int8 models: pixel -> quantised input
	f32    []float32    // float models: the input tensor
	flut   [256]float32 // float models: pixel -> p*Scale + Offset
	rgb    []byte       // float models: the resized frame before scaling
	frame  []byte       // ClassifyImage: the image as packed RGB, grown to the largest seen
}

// newInput checks the model's preprocessing and builds the lookup table.
func (r *Runtime) newInput() error {
	p := r.m.Input
	if !preprocess.ValidMethod(p.Interpolation) {
		return fmt.Errorf("unknown interpolation %q", p.Interpolation)
	}
	if p.Scale == 0 || math.IsNaN(float64(p.Scale)) || math.IsInf(float64(p.Scale), 0) || math.IsNaN(float64(p.Offset)) || math.IsInf(float64(p.Offset), 0) {
		return fmt.Errorf("input scaling p*%g%+g is not usable", p.Scale, p.Offset)
	}
	in := &r.in
	in.w, in.h, in.method = p.Width, p.Height, p.Interpolation
	for v := range 256 {
		in.flut[v] = float32(v)*p.Scale + p.Offset
	}
	if r.m.DType != model.Int8 {
		in.f32 = r.arena.float32s(0)
		in.rgb = make([]byte, p.Width*p.Height*3)
		return nil
	}
	in.q8 = r.arena.raw(0)
	q := r.m.InputQuant
	for v, x := range in.flut {
		in.lut[v] = byte(quantize(x, q))
	}
	return nil
}

// quantize maps a real value to int8 with q: clamp(round(x/scale) + zp).
func quantize(x float32, q *model.QuantParams) int8 {
	v := math.Round(float64(x)/float64(q.Scale)) + float64(q.ZeroPoint)
	return int8(min(max(v, -128), 127))
}

// prepare writes frame rgb (w x h packed RGB) into the input tensor.
func (r *Runtime) prepare(rgb []byte, w, h int) error {
	if r.closed {
		return errClosed
	}
	if w <= 0 || h <= 0 || len(rgb) < w*h*3 {
		return fmt.Errorf("infer: frame of %d bytes is not %dx%d RGB", len(rgb), w, h)
	}
	in := &r.in
	if in.q8 != nil {
		preprocess.ResizeRGB(in.q8, in.w, in.h, rgb, w, h, w*3, in.method, &in.lut)
		return nil
	}
	preprocess.ResizeRGB(in.rgb, in.w, in.h, rgb, w, h, w*3, in.method, nil)
	for i, v := range in.rgb {
		in.f32[i] = in.flut[v]
	}
	return nil
}

// ClassifyRGB classifies a packed RGB frame of any size (w*h*3 bytes): it is
// resized as in training, scaled and quantised into the arena, and run.
// It allocates nothing.
func (r *Runtime) ClassifyRGB(rgb []byte, w, h int) (Result, error) {
	if err := r.prepare(rgb, w, h); err != nil {
		return Result{}, err
	}
	r.forward()
	return r.head.result(), nil
}

// Run classifies a packed RGB frame already at the model's input size.
func (r *Runtime) Run(rgb []byte) (Result, error) {
	return r.ClassifyRGB(rgb, r.in.w, r.in.h)
}

// ClassifyImage classifies an image of any size. It allocates nothing for
// *image.RGBA, *image.NRGBA, *image.YCbCr, *image.Gray and *image.Paletted
// once it has seen an image at least as large.
func (r *Runtime) ClassifyImage(img image.Image) (Result, error) {
	b := img.Bounds()
	if b.Empty() {
		return Result{}, errors.New("infer: empty image")
	}
	n := b.Dx() * b.Dy() * 3
	if cap(r.in.frame) < n {
		r.in.frame = make([]byte, n)
	}
	frame := r.in.frame[:n]
	preprocess.ToRGB(frame, img)
	return r.ClassifyRGB(frame, b.Dx(), b.Dy())
}
