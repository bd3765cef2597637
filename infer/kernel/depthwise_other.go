//go:build !(amd64 || arm64) || purego

package kernel

// dwPrepared is empty: only the reference runs here.
type dwPrepared struct{}

func prepareDepthwise(*DepthwiseConv) dwPrepared { return dwPrepared{} }
