package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// TestDepthwiseIsDiagonalConv: a depthwise convolution gives the outputs
// of a Conv2D whose kernel is zero between different channels, for 3x3
// and 5x5, strides 1 and 2, 'same' and 'valid', odd and even sizes.
func TestDepthwiseIsDiagonalConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{3, 5} {
		for _, stride := range []int{1, 2} {
			for _, pad := range []string{model.Same, model.Valid} {
				for _, hw := range [][2]int{{7, 9}, {8, 6}, {5, 5}} {
					name := fmt.Sprintf("k%d s%d %s %dx%d", k, stride, pad, hw[0], hw[1])
					const c, batch = 5, 2
					dw := newDepthwise(k, k, stride, stride, pad, model.Linear, false)
					d, err := newSequential("dw", hw[0], hw[1], c, []layer{dw})
					require.NoError(t, err, name)
					cv := newConv2D(c, k, k, stride, stride, pad, model.Linear)
					full, err := newSequential("conv", hw[0], hw[1], c, []layer{cv})
					require.NoError(t, err, name)
					clear(cv.kernel.value)
					for tap := range k * k {
						for ch := range c {
							w := rng.Float32()*2 - 1
							dw.kernel.value[tap*c+ch] = w
							cv.kernel.value[(tap*c+ch)*c+ch] = w
						}
					}
					for ch := range c {
						dw.bias.value[ch] = float32(ch) / 4
						cv.bias.value[ch] = float32(ch) / 4
					}
					x := randomInput(d, batch, 11)
					want, got := full.Predict(x, batch), d.Predict(x, batch)
					require.Len(t, got, len(want), name)
					for i := range want {
						require.InDelta(t, want[i], got[i], 1e-5, "%s: value %d", name, i)
					}
				}
			}
		}
	}
}
