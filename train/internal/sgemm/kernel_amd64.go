//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

// kernelAVX2Asm is the 6 x 16 micro-kernel in AVX2/FMA assembly: twelve ymm
// accumulators, two B vectors and a broadcast A value per step, and the
// epilogue of flags in registers before the single store.
//
//go:noescape
func kernelAVX2Asm(kc int, a *float32, rs, cs int, b *float32, bs int, c *float32, ldc, flags int, bias *float32)

// kernelAVX512Asm is the same kernel in AVX-512F: six zmm accumulators,
// one B vector per step and the A values broadcast by the FMAs.
//
//go:noescape
func kernelAVX512Asm(kc int, a *float32, rs, cs int, b *float32, bs int, c *float32, ldc, flags int, bias *float32)

// asmKernel returns a kernelFunc that checks the bounds the assembly f
// relies on, then calls it.
func asmKernel(f func(kc int, a *float32, rs, cs int, b *float32, bs int, c *float32, ldc, flags int, bias *float32)) kernelFunc {
	return func(kc int, a []float32, rs, cs int, b []float32, bs int, c []float32, ldc, flags int, bias []float32) {
		_ = a[(MR-1)*rs+(kc-1)*cs]
		_ = b[(kc-1)*bs+NR-1]
		_ = c[(MR-1)*ldc+NR-1]
		bp := (*float32)(nil)
		if flags&flagBias != 0 {
			_ = bias[NR-1]
			bp = &bias[0]
		}
		f(kc, &a[0], rs, cs, &b[0], bs, &c[0], ldc, flags, bp)
	}
}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		impls = append(impls, implementation{"avx2", asmKernel(kernelAVX2Asm)})
	}
	if cpu.X86.HasAVX512F {
		impls = append(impls, implementation{"avx512", asmKernel(kernelAVX512Asm)})
	}
	use(impls[len(impls)-1])
}
