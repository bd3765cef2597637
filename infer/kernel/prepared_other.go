//go:build !amd64 || purego

package kernel

// prepared is empty: no implementation here derives anything in Prepare.
type prepared struct{}

func (prepared) bytes() int { return 0 }
