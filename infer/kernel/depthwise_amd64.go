//go:build amd64 && !purego

package kernel

// dwPrepared is what the AVX2 row kernel reads besides the packed weights.
type dwPrepared struct {
	args dwArgs
}

func prepareDepthwise(d *DepthwiseConv) dwPrepared {
	return dwPrepared{args: newDWArgs(d)}
}
