//go:build arm64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// Implemented in kernel_arm64.s. All sizes are positive; kp is a multiple of
// KStep; a holds ceil(rows/4) blocks in tile order; w and p hold nblocks
// whole channel blocks.

//go:noescape
func gemmTilesNEON(out *int8, ldc int, a *int8, rows int, w *int8, nblocks, kp int, p *blockParams, q *outParams)

//go:noescape
func gemmTilesSDOT(out *int8, ldc int, a *int8, rows int, w *int8, nblocks, kp int, p *blockParams, q *outParams)

//go:noescape
func gemmRowNEON(out *int8, a *int8, w *int8, nblocks, kp int, p *blockParams, q *outParams)

//go:noescape
func gemmRowSDOT(out *int8, a *int8, w *int8, nblocks, kp int, p *blockParams, q *outParams)

//go:noescape
func gatherNEON(dst *int8, kp int, src *int8, pitch, step, npix, kh, seg int)

//go:noescape
func reblockNEON(dst *int8, src *int8, kp, nblocks int)

//go:noescape
func maxPool2NEON(out *int8, in *int8, ow, c, stride, w int)

func init() {
	if !cpu.ARM64.HasASIMD {
		return
	}
	neon := simdKernels{name: "neon"}
	implementations = append(implementations, neon.implementation())
	if cpu.ARM64.HasASIMDDP {
		sdot := simdKernels{name: "sdot", dot: true}
		implementations = append(implementations, sdot.implementation())
	}
	active = implementations[len(implementations)-1]
}
