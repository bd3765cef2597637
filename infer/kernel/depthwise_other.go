package kernel

// dwPrepared is empty: only the reference runs here.
type dwPrepared struct{}

func prepareDepthwise(*DepthwiseConv) dwPrepared { return dwPrepared{} }
