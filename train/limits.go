package train

import "fmt"

// Size limits of a network, so that a spec file asking for an absurd layer
// is a clear error instead of an attempt to allocate gigabytes.
const (
	// maxLayerWeights bounds one layer's kernel (2^27 float32s, 512 MiB).
	maxLayerWeights = 1 << 27
	// maxActivation bounds one layer's output per image (2^26 float32s).
	maxActivation = 1 << 26
)

// checkLayerSize refuses a kernel or an output larger than the limits. Each
// product is checked as it grows, so huge dimensions cannot overflow it.
func checkLayerSize(kernel, out []int) error {
	for _, c := range []struct {
		what  string
		dims  []int
		limit int
	}{{"kernel", kernel, maxLayerWeights}, {"output", out, maxActivation}} {
		n := 1
		for _, d := range c.dims {
			if d > c.limit || n > c.limit/max(d, 1) {
				return fmt.Errorf("%s of shape %v is larger than the limit of %d values", c.what, c.dims, c.limit)
			}
			n *= d
		}
	}
	return nil
}
