//go:build !amd64 || purego

package kernel

// prepared is empty: no implementation here derives anything in Prepare.
type prepared struct{}
