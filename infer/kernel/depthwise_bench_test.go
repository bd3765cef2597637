package kernel

import (
	"fmt"
	"math/rand"
	"testing"
)

// dwBenchShapes are MobileNet-like 3x3 depthwise layers ('same', ReLU6
// clamp): h = w, c, stride.
var dwBenchShapes = [][3]int{{64, 16, 1}, {64, 16, 2}, {32, 32, 1}, {32, 32, 2}, {16, 96, 1}, {16, 96, 2}}

// BenchmarkDepthwise runs the active implementation on each shape; with
// -benchtime Nx the instruction count grows by exactly N layers (see
// ../shared/tools/armcount), and MACs/op gives instructions per MAC.
func BenchmarkDepthwise(b *testing.B) {
	for _, sh := range dwBenchShapes {
		hw, c, stride := sh[0], sh[1], sh[2]
		s := sameShape(hw, hw, c, 3, 3, stride, stride, c, true, -128)
		b.Run(fmt.Sprintf("%dx%dx%d_s%d", hw, hw, c, stride), func(b *testing.B) {
			r := rand.New(rand.NewSource(25))
			dc := newDWCase(r, s, false)
			dc.rq.ActMin, dc.rq.ActMax = dc.rq.OutZero, min(dc.rq.OutZero+48, 127)
			d, err := NewDepthwiseConv(s, packedDW(dc), dc.rq)
			if err != nil {
				b.Fatal(err)
			}
			in := randInt8s(r, s.H*s.W*s.C, -128, 127)
			out, scratch := make([]int8, s.OH*s.OW*s.C), make([]int8, d.ScratchLen())
			for b.Loop() {
				d.Run(out, in, scratch, 0, s.OH)
			}
			macs := s.OH * s.OW * s.C * 9
			b.ReportMetric(float64(macs), "MACs/op")
			b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// packedDW packs c's weights.
func packedDW(c dwCase) []int8 {
	p := make([]int8, DepthwisePackedLen(c.s.KH, c.s.KW, c.s.C))
	PackDepthwise(p, c.w, c.s.KH, c.s.KW, c.s.C)
	return p
}
