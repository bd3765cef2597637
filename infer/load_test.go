package infer

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/edgecnn/edgecnn/infer/kernel"
	"github.com/edgecnn/edgecnn/infer/randmodel"
	"github.com/edgecnn/edgecnn/model"
	"github.com/stretchr/testify/require"
)

// validInt8 is a small int8 model with a conv, a pool and a dense head.
func validInt8(t testing.TB) *model.Model {
	m, err := randmodel.Int8("small", 8, 6, []model.Layer{
		conv(5, 3, 1, same, reluAct), maxPool(2, 2, valid), flatten(), dense(3, model.Softmax),
	}, randmodel.Options{Seed: 11})
	require.NoError(t, err)
	return m
}

// setInt32 overwrites value i of the int32 tensor name.
func setInt32(t *testing.T, m *model.Model, name string, i int, v int32) {
	tt, err := m.Tensor(name)
	require.NoError(t, err)
	vals, err := tt.Int32s()
	require.NoError(t, err)
	vals[i] = v
	*tt = *model.NewInt32(name, tt.Shape, vals)
}

// TestLoadRejectsInconsistentInt8 breaks one thing at a time in a valid
// model; Load must name the problem.
func TestLoadRejectsInconsistentInt8(t *testing.T) {
	for _, c := range []struct {
		name, want string
		breakIt    func(t *testing.T, m *model.Model)
	}{
		{"output shape", "output shape [8 6 4] recorded", func(t *testing.T, m *model.Model) { m.Layers[0].OutputShape = []int{8, 6, 4} }},
		{"no input quant", "without input quantisation", func(t *testing.T, m *model.Model) { m.InputQuant = nil }},
		{"input zero point", "zero point 300", func(t *testing.T, m *model.Model) { m.InputQuant.ZeroPoint = 300 }},
		{"output scale", "scale -1", func(t *testing.T, m *model.Model) { m.Layers[0].Quant.Output.Scale = -1 }},
		{"act range", "activation range [5, 5]", func(t *testing.T, m *model.Model) { m.Layers[0].Quant.ActMin, m.Layers[0].Quant.ActMax = 5, 5 }},
		{"no quant", "no quantisation parameters", func(t *testing.T, m *model.Model) { m.Layers[3].Quant = nil }},
		{"multiplier", "channel 2: multiplier 12", func(t *testing.T, m *model.Model) { setInt32(t, m, m.Layers[0].Quant.Multiplier, 2, 12) }},
		{"shift", "shift 40", func(t *testing.T, m *model.Model) { setInt32(t, m, m.Layers[3].Quant.Shift, 0, 40) }},
		{"bias length", "bias", func(t *testing.T, m *model.Model) {
			m.AddTensor(model.NewInt32("short", []int{2}, []int32{1, 2}))
			m.Layers[0].Quant.Bias = "short"
		}},
		{"weight -128", "is -128", func(t *testing.T, m *model.Model) {
			w, err := m.Tensor(m.Layers[0].Quant.Weights)
			require.NoError(t, err)
			w.Data[0] = 0x80
		}},
		{"weight count", "hold", func(t *testing.T, m *model.Model) {
			m.AddTensor(model.NewInt8("few", []int{10}, make([]int8, 10)))
			m.Layers[3].Quant.Weights = "few"
		}},
		{"layout", `weight layout "hwio"`, func(t *testing.T, m *model.Model) { m.Layers[0].Quant.WeightLayout = "hwio" }},
		{"maxpool quant", "MaxPool2D output quantisation", func(t *testing.T, m *model.Model) { m.Layers[1].Quant.Output.ZeroPoint++ }},
		{"batchnorm", "BatchNormalization in an int8 graph", func(t *testing.T, m *model.Model) {
			m.Layers = append(m.Layers[:1], append([]model.Layer{{Type: model.BatchNormalization, OutputShape: []int{8, 6, 5}}}, m.Layers[1:]...)...)
		}},
		{"channels", "takes RGB", func(t *testing.T, m *model.Model) { m.Input.Channels = 1 }},
		{"interpolation", `interpolation "cubic"`, func(t *testing.T, m *model.Model) { m.Input.Interpolation = "cubic" }},
		{"input scale", "not usable", func(t *testing.T, m *model.Model) { m.Input.Scale = 0 }},
		{"labels", "head has 3 outputs for 2 labels", func(t *testing.T, m *model.Model) { m.Labels = m.Labels[:2] }},
		{"head activation", `head activation "relu"`, func(t *testing.T, m *model.Model) { m.Layers[3].Activation = model.ReLU }},
		{"dense without flatten", "flat input", func(t *testing.T, m *model.Model) { m.Layers = append(m.Layers[:2], m.Layers[3:]...) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := validInt8(t)
			c.breakIt(t, m)
			_, err := Load(m, Options{})
			require.ErrorContains(t, err, c.want)
		})
	}
}

// TestLoadRejectsInconsistentFloat does the same for float models.
func TestLoadRejectsInconsistentFloat(t *testing.T) {
	build := func() *model.Model {
		m, err := randmodel.Float("f", 8, 6, []model.Layer{
			conv(4, 3, 1, same, reluAct), batchNorm(), flatten(), dense(2, model.Softmax),
		}, randmodel.Options{Seed: 3})
		require.NoError(t, err)
		return m
	}
	m := build()
	m.Layers[0].Weights[0] = m.Layers[3].Weights[0]
	_, err := Load(m, Options{})
	require.ErrorContains(t, err, "has shape [192 2], want [3 3 3 4]")
	m = build()
	m.Layers[0].Activation = model.Sigmoid
	_, err = Load(m, Options{})
	require.ErrorContains(t, err, "only supported on the last layer")
	m = build()
	m.Layers[1].Weights = m.Layers[1].Weights[:2]
	_, err = Load(m, Options{})
	require.ErrorContains(t, err, "want gamma, beta")
}

// TestLoadRepacksOtherLayouts: a model in the canonical layout is repacked
// once at load; one in this build's layout is used in place.
func TestLoadRepacksOtherLayouts(t *testing.T) {
	m := validInt8(t)
	r, err := Load(m, Options{})
	require.NoError(t, err)
	w, err := m.Tensor(m.Layers[0].Quant.Weights)
	require.NoError(t, err)
	packed := r.ops[0].(*convOp).packed
	require.True(t, unsafe.Pointer(&w.Data[0]) == unsafe.Pointer(&packed[0]), "weights in %s are used in place", kernel.Layout)
	r.Close()

	canonical, err := randmodel.Int8("small", 8, 6, []model.Layer{
		conv(5, 3, 1, same, reluAct), maxPool(2, 2, valid), flatten(), dense(3, model.Softmax),
	}, randmodel.Options{Seed: 11, Layout: CanonicalLayout})
	require.NoError(t, err)
	r2, err := Load(canonical, Options{})
	require.NoError(t, err)
	require.Equal(t, packed, r2.ops[0].(*convOp).packed, "repacked weights equal the packed model's")
	r2.Close()
}

// TestLoadFileErrorsNameTheFile: missing and corrupt files.
func TestLoadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadFile(filepath.Join(dir, "missing.ecnn"), Options{})
	require.ErrorContains(t, err, "missing.ecnn")
	b, err := model.Encode(validInt8(t))
	require.NoError(t, err)
	path := filepath.Join(dir, "truncated.ecnn")
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err = LoadFile(path, Options{})
	require.ErrorContains(t, err, "truncated.ecnn")
	require.ErrorIs(t, err, model.ErrFormat)
	good := filepath.Join(dir, "good.ecnn")
	require.NoError(t, os.WriteFile(good, b, 0o644))
	r, err := LoadFile(good, Options{Threads: 2})
	require.NoError(t, err)
	require.Equal(t, 2, r.Threads())
	r.Close()
}
