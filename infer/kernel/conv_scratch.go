package kernel

// convPlan places the buffers of the im2col + tiled GEMM Conv in one
// worker's scratch (offsets in bytes).
type convPlan struct {
	pitch   int // bytes of one padded input row
	blocked int // A panel in tile order: 4 rows interleaved per KStep
	panel   int // A panel row-major, one padded patch per output pixel of one or more output rows
	rows    int // the padded input rows of all output rows
	tail    int // tailChannels output channels per pixel for a partial channel group
	total   int
}

// tileRows is the number of GEMM rows (output pixels) per tile.
const tileRows = 4

// tailChannels is the widest channel group a tile kernel writes at once
// (16 on AVX-512 VNNI); a partial last group goes through the tail buffer.
const tailChannels = 16

// slack is the over-read and over-write allowance of the gather kernel,
// which copies whole 64-byte chunks.
const slack = 64

// panelSize is the size of the panel, the most output rows' patches any
// implementation gathers at once (see implementation.panel), and the most
// pixels (GEMM rows) it holds.
func panelSize(s *ConvShape) (bytes, pixels int) {
	bytes, pixels = s.OW*PaddedK(s.K()), s.OW
	for _, impl := range implementations {
		if impl.panel != nil {
			rows, width := impl.panel(s)
			bytes = max(bytes, rows*s.OW*PaddedK(s.K())*width)
			pixels = max(pixels, rows*s.OW)
		}
	}
	return bytes, pixels
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// convScratchFast plans the scratch of the tiled Conv on s.
func convScratchFast(s *ConvShape) convPlan {
	kp := PaddedK(s.K())
	mr := roundUp(s.OW, tileRows)
	bytes, pixels := panelSize(s)
	var p convPlan
	p.pitch = ((s.OW-1)*s.SW + s.KW) * s.C
	p.panel = mr * kp // one output row, reblocked
	p.rows = p.panel + max(bytes, mr*kp) + slack
	p.tail = p.rows + ((s.OH-1)*s.SH+s.KH)*p.pitch + slack
	p.total = p.tail
	if s.OC%tailChannels != 0 {
		p.total += roundUp(pixels, tileRows) * tailChannels
	}
	return p
}
