package train

import (
	"testing"

	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// paramCounts are Keras' total and non-trainable parameter counts.
type paramCounts struct{ total, fixed int }

// bn counts a BatchNormalization over c channels: gamma and beta train,
// the moving mean and variance do not.
func (p *paramCounts) bn(c int) {
	p.total += 4 * c
	p.fixed += 2 * c
}

// kerasMobileNetV1 counts keras.applications.MobileNet(alpha,
// include_top=True, weights=None, classes) from its definition: conv1
// (3x3x3, int(32 alpha) filters, no bias) + BN, then per block a 3x3
// depthwise kernel + BN and a 1x1 pointwise kernel + BN, and the 1x1
// conv_preds with bias.
func kerasMobileNetV1(alpha float64, classes int) paramCounts {
	var p paramCounts
	filters := func(f float64) int { return int(f * alpha) }
	c := filters(32)
	p.total += 3 * 3 * 3 * c
	p.bn(c)
	for _, f := range []float64{64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024} {
		out := filters(f)
		p.total += 3 * 3 * c
		p.bn(c)
		p.total += c * out
		p.bn(out)
		c = out
	}
	p.total += c*classes + classes
	return p
}

// kerasMobileNetV2 counts keras.applications.MobileNetV2(alpha,
// include_top=True, weights=None, classes) from its definition, rounding
// channels the way its _make_divisible does (nearest multiple of 8, at
// least 8, bumped by 8 when that lost more than 10%).
func kerasMobileNetV2(alpha float64, classes int) paramCounts {
	round8 := func(v float64) int {
		r := int(v + 4)
		r -= r % 8
		if r < 8 {
			r = 8
		}
		if float64(r) < 0.9*v {
			r += 8
		}
		return r
	}
	var p paramCounts
	c := round8(32 * alpha)
	p.total += 3 * 3 * 3 * c // Conv1, no bias
	p.bn(c)
	// (expansion, channels, repeats) of blocks 0..16.
	for _, g := range [][3]int{{1, 16, 1}, {6, 24, 2}, {6, 32, 3}, {6, 64, 4}, {6, 96, 3}, {6, 160, 3}, {6, 320, 1}} {
		for range g[2] {
			mid := c * g[0]
			if g[0] != 1 { // block 0 has no expansion
				p.total += c * mid
				p.bn(mid)
			}
			p.total += 3 * 3 * mid // depthwise, no bias
			p.bn(mid)
			out := round8(float64(int(float64(g[1]) * alpha)))
			p.total += mid * out // projection, no bias; Add has no weights
			p.bn(out)
			c = out
		}
	}
	last := 1280
	if alpha > 1 {
		last = round8(1280 * alpha)
	}
	p.total += c * last
	p.bn(last)
	p.total += last*classes + classes
	return p
}

func countsOf(t *testing.T, arch string, alpha float64, size, classes int) (paramCounts, ModelSummary) {
	t.Helper()
	n, err := PresetAlpha(arch, alpha, size, size, 3, classes)
	require.NoError(t, err)
	s := n.Summary()
	require.Equal(t, s.Total, s.Trainable+s.NonTrainable)
	return paramCounts{total: s.Total, fixed: s.NonTrainable}, s
}

// TestMobileNetParameterCounts: the presets have Keras' parameter counts
// (total, trainable, non-trainable) for the configurations, and
// for others, computed from Keras' architecture definitions.
func TestMobileNetParameterCounts(t *testing.T) {
	// The formulas reproduce the counts Keras prints for the ImageNet
	// models (alpha 1.0, 1000 classes), a check on the formulas themselves.
	require.Equal(t, paramCounts{4253864, 21888}, kerasMobileNetV1(1, 1000))
	require.Equal(t, paramCounts{3538984, 34112}, kerasMobileNetV2(1, 1000))

	got, _ := countsOf(t, "mobilenet-v1", 0.25, 128, 2)
	require.Equal(t, kerasMobileNetV1(0.25, 2), got)
	got, s := countsOf(t, "mobilenet-v2", 0.35, 128, 2)
	require.Equal(t, kerasMobileNetV2(0.35, 2), got)
	adds := 0
	for _, l := range s.Layers {
		if l.Type == model.Add {
			adds++
		}
	}
	require.Equal(t, 10, adds, "residual connections of MobileNetV2")
	require.Equal(t, []int{4, 4, 1280}, s.Layers[len(s.Layers)-3].OutputShape)
	require.Equal(t, []int{2}, s.Layers[len(s.Layers)-1].OutputShape)

	if testing.Short() {
		return
	}
	for _, alpha := range []float64{0.35, 0.5, 0.75, 1, 1.3, 1.4} {
		got, _ := countsOf(t, "mobilenet-v2", alpha, 32, 10)
		require.Equal(t, kerasMobileNetV2(alpha, 10), got, "v2 alpha %g", alpha)
	}
	for _, alpha := range []float64{0.25, 0.5, 0.75, 1} {
		got, _ := countsOf(t, "mobilenet-v1", alpha, 32, 10)
		require.Equal(t, kerasMobileNetV1(alpha, 10), got, "v1 alpha %g", alpha)
	}
}

func TestMobileNetShapesAndErrors(t *testing.T) {
	_, s := countsOf(t, "mobilenet-v1", 0.25, 32, 3)
	require.Equal(t, []int{1, 1, 256}, s.Layers[len(s.Layers)-4].OutputShape) // 32 / 2^5
	for _, c := range []struct {
		arch  string
		alpha float64
		size  int
		want  string
	}{
		{"mobilenet-v2", 0.35, 100, "image size 100x100: the mobilenets take multiples of 32"},
		{"mobilenet-v1", 0.25, 16, "multiples of 32"},
		{"mobilenet-v2", -1, 32, "alpha -1 is outside"},
		{"seed-exercise", 0.5, 32, "alpha) applies to the mobilenet presets only"},
	} {
		_, err := PresetAlpha(c.arch, c.alpha, c.size, c.size, 3, 2)
		require.ErrorContains(t, err, c.want)
	}
}
