//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

// kernelAVX2Asm is the 6 x 16 micro-kernel in AVX2/FMA assembly: twelve ymm
// accumulators, two B vectors and a broadcast A value per step, and the
// epilogue of flags in registers before the single store.
//
//go:noescape
func kernelAVX2Asm(kc int, a *float32, rs, cs int, b, c *float32, ldc, flags int, bias *float32)

// kernelAVX2 checks the bounds the assembly relies on, then calls it.
func kernelAVX2(kc int, a []float32, rs, cs int, b, c []float32, ldc, flags int, bias []float32) {
	_ = a[(MR-1)*rs+(kc-1)*cs]
	_ = b[kc*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	bp := (*float32)(nil)
	if flags&flagBias != 0 {
		_ = bias[NR-1]
		bp = &bias[0]
	}
	kernelAVX2Asm(kc, &a[0], rs, cs, &b[0], &c[0], ldc, flags, bp)
}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernel = kernelAVX2
		impl = "avx2"
	}
}
