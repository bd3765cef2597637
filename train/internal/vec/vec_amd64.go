//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 {
		reluGrad, add, maxPool2x2, maxPool2x2Grad, adam = reluGradAVX2, addAVX2, maxPool2x2AVX2, maxPool2x2GradAVX2, adamAVX2
		clamp, clampGrad, mulAdd = clampAVX2, clampGradAVX2, mulAddAVX2
		affine, affine2, channelSums = affineAVX2, affine2AVX2, channelSumsAVX2
		impl = "avx2"
	}
}

// reluGradAVX2 runs the assembly on the multiple of 8 values, Go on the rest.
func reluGradAVX2(dy, y []float32) {
	n := len(dy) &^ 7
	if n > 0 {
		reluGradAsm(&dy[0], &y[0], n)
	}
	reluGradGo(dy[n:], y[n:])
}

// clampAVX2 runs the assembly on the multiple of 8 values, Go on the rest.
func clampAVX2(y, x []float32, top float32) {
	n := len(y) &^ 7
	if n > 0 {
		clampAsm(&y[0], &x[0], n, top)
	}
	clampGo(y[n:], x[n:], top)
}

// clampGradAVX2 runs the assembly on the multiple of 8 values, Go on the rest.
func clampGradAVX2(dz, dy, y []float32, top float32) {
	n := len(dz) &^ 7
	if n > 0 {
		clampGradAsm(&dz[0], &dy[0], &y[0], n, top)
	}
	clampGradGo(dz[n:], dy[n:], y[n:], top)
}

// mulAddAVX2 runs the assembly when c is a multiple of 8.
func mulAddAVX2(dst []float32, dstStep int, a []float32, aStep int, b []float32, bStep int, c, pixels int) {
	if c%8 != 0 {
		mulAddGo(dst, dstStep, a, aStep, b, bStep, c, pixels)
		return
	}
	mulAddAsm(&dst[0], dstStep, &a[0], aStep, &b[0], bStep, c, pixels)
}

// affineAVX2 runs the assembly when c is a multiple of 8.
func affineAVX2(y, x, a, b []float32, c int) {
	if c%8 != 0 || len(y) == 0 {
		affineGo(y, x, a, b, c)
		return
	}
	affineAsm(&y[0], &x[0], &a[0], &b[0], c, len(y)/c)
}

// affine2AVX2 runs the assembly when c is a multiple of 8.
func affine2AVX2(z, u, v, a, b, d []float32, c int) {
	if c%8 != 0 || len(z) == 0 {
		affine2Go(z, u, v, a, b, d, c)
		return
	}
	affine2Asm(&z[0], &u[0], &v[0], &a[0], &b[0], &d[0], c, len(z)/c)
}

// channelSumsAVX2 runs the assembly when c is a multiple of 8.
func channelSumsAVX2(s1, s2 []float64, u, v []float32, c int) {
	if c%8 != 0 || len(u) == 0 {
		channelSumsGo(s1, s2, u, v, c)
		return
	}
	channelSumsAsm(&s1[0], &s2[0], &u[0], &v[0], c, len(u)/c)
}

// addAVX2 runs the assembly on the multiple of 8 values, Go on the rest.
func addAVX2(dst, src []float32) {
	n := len(dst) &^ 7
	if n > 0 {
		addAsm(&dst[0], &src[0], n)
	}
	addGo(dst[n:], src[n:])
}

// maxPool2x2AVX2 runs the assembly when c is a multiple of 8.
func maxPool2x2AVX2(dst, r0, r1 []float32, c int) {
	if c%8 != 0 {
		maxPool2x2Go(dst, r0, r1, c)
		return
	}
	maxPool2x2Asm(&dst[0], &r0[0], &r1[0], len(dst)/c, c)
}

// maxPool2x2GradAVX2 runs the assembly when c is a multiple of 8.
func maxPool2x2GradAVX2(dx0, dx1, x0, x1, y, dy []float32, c int) {
	if c%8 != 0 {
		maxPool2x2GradGo(dx0, dx1, x0, x1, y, dy, c)
		return
	}
	maxPool2x2GradAsm(&dx0[0], &dx1[0], &x0[0], &x1[0], &y[0], &dy[0], len(dy)/c, c)
}

// adamAVX2 runs the assembly on the multiple of 8 values, Go on the rest.
func adamAVX2(w, g, m, v []float32, k adamConsts) {
	n := len(g) &^ 7
	if n > 0 {
		adamAsm(&w[0], &g[0], &m[0], &v[0], n, &k)
	}
	adamGo(w[n:], g[n:], m[n:], v[n:], k)
}

// dy[i] = 0 where y[i] <= 0, for n a multiple of 8.
//
//go:noescape
func reluGradAsm(dy, y *float32, n int)

// dz[i] = dy[i] where neither y[i] <= 0 nor y[i] >= top, else 0, for n a
// multiple of 8.
//
//go:noescape
func mulAddAsm(dst *float32, dstStep int, a *float32, aStep int, b *float32, bStep int, c, pixels int)

// The BatchNormalization loops on pixels of c channels, c a positive
// multiple of 8, pixels positive.
//
//go:noescape
func affineAsm(y, x, a, b *float32, c, pixels int)

//go:noescape
func affine2Asm(z, u, v, a, b, d *float32, c, pixels int)

//go:noescape
func channelSumsAsm(s1, s2 *float64, u, v *float32, c, pixels int)

// y[i] = min(max(x[i], 0), top) as clampGo computes it, for n a multiple
// of 8.
//
//go:noescape
func clampAsm(y, x *float32, n int, top float32)

//go:noescape
func clampGradAsm(dz, dy, y *float32, n int, top float32)

// dst[i] += src[i], for n a multiple of 8.
//
//go:noescape
func addAsm(dst, src *float32, n int)

// n pooled pixels of c channels, c a multiple of 8.
//
//go:noescape
func maxPool2x2Asm(dst, r0, r1 *float32, n, c int)

// n pooled pixels of c channels, c a multiple of 8.
//
//go:noescape
func maxPool2x2GradAsm(dx0, dx1, x0, x1, y, dy *float32, n, c int)

// Adam's step on n values, n a multiple of 8.
//
//go:noescape
func adamAsm(w, grad, m, v *float32, n int, k *adamConsts)
