package kernel

// convPlan places the buffers of the im2col + tiled GEMM Conv in one
// worker's scratch (offsets in bytes).
type convPlan struct {
	pitch   int // bytes of one padded input row
	blocked int // A panel in tile order: 4 rows interleaved per KStep
	panel   int // A panel row-major, one padded patch per output pixel
	rows    int // the padded input rows of all output rows
	tail    int // 4 output channels per pixel for a partial channel block
	total   int
}

// tileRows is the number of GEMM rows (output pixels) per tile.
const tileRows = 4

// slack is the over-read and over-write allowance of the gather kernel,
// which copies whole 64-byte chunks.
const slack = 64

// convScratchFast plans the scratch of the tiled Conv on s.
func convScratchFast(s *ConvShape) convPlan {
	kp := PaddedK(s.K())
	mr := (s.OW + tileRows - 1) / tileRows * tileRows
	var p convPlan
	p.pitch = ((s.OW-1)*s.SW + s.KW) * s.C
	p.panel = mr * kp
	p.rows = p.panel + mr*kp + slack
	p.tail = p.rows + ((s.OH-1)*s.SH+s.KH)*p.pitch + slack
	p.total = p.tail
	if s.OC%ChannelBlock != 0 {
		p.total += mr * ChannelBlock
	}
	return p
}
