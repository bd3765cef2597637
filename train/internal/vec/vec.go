// Package vec holds the trainer's elementwise float32 loops: ReLU's and
// ReLU6's gradients, sums for col2im, the depthwise convolution's
// multiply-adds, BatchNormalization's channel sums and affine maps, 2x2 max pooling forward and backward, and the
// Adam update.
// Each has a pure-Go version, which is the specification and the fallback;
// on amd64 with AVX2 assembly versions are chosen at init (the purego build
// tag forces the Go ones). Both compute exactly the same values.
package vec

import "math"

// ReLUGrad is ReLU's backward pass given its output y: dy[i] = 0 wherever
// y[i] <= 0, dy[i] unchanged elsewhere (NaN included). len(y) >= len(dy).
func ReLUGrad(dy, y []float32) {
	reluGrad(dy, y[:len(dy)])
}

func reluGradGo(dy, y []float32) {
	y = y[:len(dy)]
	for i, v := range y {
		if v <= 0 {
			dy[i] = 0
		}
	}
}

// Clamp is ReLU6's forward pass for top 6: y[i] = x[i] where 0 < x[i] <
// top, 0 where x[i] <= 0 or is NaN, top where x[i] >= top. len(x) >=
// len(y).
func Clamp(y, x []float32, top float32) {
	clamp(y, x[:len(y)], top)
}

func clampGo(y, x []float32, top float32) {
	x = x[:len(y)]
	for i, v := range x {
		if !(v > 0) {
			v = 0
		}
		if !(v < top) {
			v = top
		}
		y[i] = v
	}
}

// ClampGrad is the backward pass of y = min(max(z, 0), top) (ReLU6 for top
// 6) given its output y: dz[i] = dy[i] where 0 < y[i] < top or y[i] is NaN,
// 0 elsewhere. dz may be dy; len(dy), len(y) >= len(dz).
func ClampGrad(dz, dy, y []float32, top float32) {
	clampGrad(dz, dy[:len(dz)], y[:len(dz)], top)
}

func clampGradGo(dz, dy, y []float32, top float32) {
	dy, y = dy[:len(dz)], y[:len(dz)]
	for i, v := range y {
		g := dy[i]
		if v <= 0 || v >= top {
			g = 0
		}
		dz[i] = g
	}
}

// MulAdd adds products to runs of c values, one run per pixel: for p <
// pixels and i < c, dst[p*dstStep+i] += a[p*aStep+i] * b[p*bStep+i]
// (rounded product, then rounded sum). A step of 0 uses the same c values
// for every pixel, so a depthwise convolution's tap is MulAdd(out, c, in,
// stride*c, weights, 0, ...) and its gradient MulAdd(grad, 0, in, stride*c,
// dout, c, ...).
func MulAdd(dst []float32, dstStep int, a []float32, aStep int, b []float32, bStep int, c, pixels int) {
	if pixels <= 0 || c <= 0 {
		return
	}
	last := pixels - 1
	mulAdd(dst[:last*dstStep+c], dstStep, a[:last*aStep+c], aStep, b[:last*bStep+c], bStep, c, pixels)
}

func mulAddGo(dst []float32, dstStep int, a []float32, aStep int, b []float32, bStep int, c, pixels int) {
	for p := range pixels {
		d, x, y := dst[p*dstStep:p*dstStep+c], a[p*aStep:p*aStep+c], b[p*bStep:p*bStep+c]
		for i, v := range x {
			d[i] += v * y[i]
		}
	}
}

// Affine maps pixels of c channels through a per-channel affine map:
// y[p*c+i] = x[p*c+i]*a[i] + b[i] for the len(y)/c pixels of y.
func Affine(y, x, a, b []float32, c int) {
	if c <= 0 {
		return
	}
	n := len(y) / c * c
	affine(y[:n], x[:n], a[:c], b[:c], c)
}

func affineGo(y, x, a, b []float32, c int) {
	for r := 0; r < len(y); r += c {
		yr, xr := y[r:r+c], x[r:r+c]
		for i, v := range xr {
			yr[i] = v*a[i] + b[i]
		}
	}
}

// Affine2 is Affine of two inputs: z[p*c+i] = (u[p*c+i]*a[i] +
// v[p*c+i]*b[i]) + d[i] (BatchNormalization's input gradient).
func Affine2(z, u, v, a, b, d []float32, c int) {
	if c <= 0 {
		return
	}
	n := len(z) / c * c
	affine2(z[:n], u[:n], v[:n], a[:c], b[:c], d[:c], c)
}

func affine2Go(z, u, v, a, b, d []float32, c int) {
	for r := 0; r < len(z); r += c {
		zr, ur, vr := z[r:r+c], u[r:r+c], v[r:r+c]
		for i, x := range ur {
			zr[i] = x*a[i] + vr[i]*b[i] + d[i]
		}
	}
}

// ChannelSums adds, over the len(u)/c pixels of c channels, u to s1 and
// u*v to s2, in float64 (exact products of float32 values), pixel after
// pixel: s1[i] += u[p*c+i], s2[i] += u[p*c+i]*v[p*c+i].
func ChannelSums(s1, s2 []float64, u, v []float32, c int) {
	if c <= 0 {
		return
	}
	n := len(u) / c * c
	channelSums(s1[:c], s2[:c], u[:n], v[:n], c)
}

func channelSumsGo(s1, s2 []float64, u, v []float32, c int) {
	for r := 0; r < len(u); r += c {
		ur, vr := u[r:r+c], v[r:r+c]
		for i, x := range ur {
			s1[i] += float64(x)
			s2[i] += float64(x) * float64(vr[i])
		}
	}
}

// Add adds src to dst elementwise; len(src) >= len(dst).
func Add(dst, src []float32) {
	add(dst, src[:len(dst)])
}

func addGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// MaxPool2x2 pools one output row of a 2x2, stride-2 max pool over pixels
// of c channels: dst holds n = len(dst)/c pixels, and pixel x is the
// channelwise maximum of pixels 2x and 2x+1 of the input rows r0 and r1
// (each at least 2n pixels long).
func MaxPool2x2(dst, r0, r1 []float32, c int) {
	n := len(dst) / c
	if n == 0 {
		return
	}
	maxPool2x2(dst[:n*c], r0[:2*n*c], r1[:2*n*c], c)
}

func maxPool2x2Go(dst, r0, r1 []float32, c int) {
	for x := 0; x < len(dst)/c; x++ {
		o := dst[x*c : (x+1)*c]
		a, b := r0[2*x*c:(2*x+1)*c], r0[(2*x+1)*c:(2*x+2)*c]
		d, e := r1[2*x*c:(2*x+1)*c], r1[(2*x+1)*c:(2*x+2)*c]
		for ch := range o {
			o[ch] = max2(max2(a[ch], b[ch]), max2(d[ch], e[ch]))
		}
	}
}

// max2 is the larger of a and b, b when they are equal or either is NaN
// (as x86's MAXPS).
func max2(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

// MaxPool2x2Grad is MaxPool2x2's backward pass for one output row: given
// the input rows x0 and x1, the pooled row y and its gradient dy (n pixels
// of c channels), it writes the gradient of the 2n input pixels of each row
// into dx0 and dx1: dy goes to the first input of each window (in the order
// x0[2x], x0[2x+1], x1[2x], x1[2x+1]) equal to the window's maximum, zero
// to the others.
func MaxPool2x2Grad(dx0, dx1, x0, x1, y, dy []float32, c int) {
	n := len(dy) / c
	if n == 0 {
		return
	}
	m := 2 * n * c
	maxPool2x2Grad(dx0[:m], dx1[:m], x0[:m], x1[:m], y[:n*c], dy[:n*c], c)
}

func maxPool2x2GradGo(dx0, dx1, x0, x1, y, dy []float32, c int) {
	for i, g := range dy {
		x, ch := i/c, i%c
		j0, j1 := 2*x*c+ch, (2*x+1)*c+ch
		ins := [4]float32{x0[j0], x0[j1], x1[j0], x1[j1]}
		var outs [4]float32
		for k, v := range ins {
			if v == y[i] {
				outs[k] = g
				break
			}
		}
		dx0[j0], dx0[j1], dx1[j0], dx1[j1] = outs[0], outs[1], outs[2], outs[3]
	}
}

// Adam applies one Adam step to the weights w given their gradients g and
// moments m and v (all as long as g):
//
//	m = b1*m + (1-b1)*g
//	v = b2*v + (1-b2)*g*g
//	w -= alpha*m / (sqrt(v) + eps)
//
// every operation rounded to float32 on its own (no fused multiply-add).
func Adam(w, g, m, v []float32, alpha, b1, b2, eps float32) {
	n := len(g)
	adam(w[:n], g, m[:n], v[:n], adamConsts{alpha, b1, 1 - b1, b2, 1 - b2, eps})
}

// adamConsts are Adam's constants in the order the assembly loads them.
type adamConsts [6]float32

func adamGo(w, g, m, v []float32, k adamConsts) {
	alpha, b1, c1, b2, c2, eps := k[0], k[1], k[2], k[3], k[4], k[5]
	w, m, v = w[:len(g)], m[:len(g)], v[:len(g)]
	for j, gj := range g {
		mj := float32(b1*m[j]) + float32(c1*gj)
		vj := float32(b2*v[j]) + float32(float32(c2*gj)*gj)
		m[j], v[j] = mj, vj
		w[j] -= float32(alpha*mj) / (float32(math.Sqrt(float64(vj))) + eps)
	}
}

// Impl names the loops in use: "go" or "avx2".
func Impl() string { return impl }

// The implementations in use. Their arguments are resliced to the exact
// lengths: y and src as long as dy and dst, the pools' rows 2*len(dst) or
// 2*len(dy) long.
var (
	reluGrad       = reluGradGo
	clampGrad      = clampGradGo
	clamp          = clampGo
	mulAdd         = mulAddGo
	affine         = affineGo
	affine2        = affine2Go
	channelSums    = channelSumsGo
	add            = addGo
	maxPool2x2     = maxPool2x2Go
	maxPool2x2Grad = maxPool2x2GradGo
	adam           = adamGo
	impl           = "go"
)
