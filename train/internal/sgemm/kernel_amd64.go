//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

// kernelAVX2Asm is the 6 x 16 micro-kernel in AVX2/FMA assembly: twelve ymm
// accumulators, two B vectors and a broadcast A value per step.
//
//go:noescape
func kernelAVX2Asm(kc int, a, b, c *float32, ldc int, accumulate bool)

// kernelAVX2 checks the bounds the assembly relies on, then calls it.
func kernelAVX2(kc int, a, b []float32, c []float32, ldc int, accumulate bool) {
	_ = a[kc*MR-1]
	_ = b[kc*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernelAVX2Asm(kc, &a[0], &b[0], &c[0], ldc, accumulate)
}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernel = kernelAVX2
		impl = "avx2"
	}
}
