package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/parity"
	"github.com/edgecnn/edgecnn/synth"
)

func TestRandomModel(t *testing.T) {
	q, err := RandomModel("seed-tutorial", 16, 3, 5, model.Int8)
	require.NoError(t, err)
	require.Equal(t, model.Int8, q.DType)
	require.Equal(t, []string{"class0", "class1", "class2"}, q.Labels)
	rt, err := infer.Load(q, infer.Options{Threads: 1})
	require.NoError(t, err, "the int8 model runs")
	rt.Close()

	f1, err := RandomModel("seed-tutorial", 16, 2, 5, model.Float32)
	require.NoError(t, err)
	f2, err := RandomModel("seed-tutorial", 16, 2, 5, model.Float32)
	require.NoError(t, err)
	require.Equal(t, f1.Tensors, f2.Tensors, "the same seed gives the same weights")

	_, err = RandomModel("seed-tutorial", 16, 2, 5, model.Float16)
	require.ErrorContains(t, err, `dtype "float16"`)
	_, err = RandomModel("no-such-arch", 16, 2, 5, model.Float32)
	require.Error(t, err)
}

// TestQuantizeGate: a float16 model of an untrained network against a
// budget nobody meets is not written, unless forced; then it carries its
// parity figures and probes.
func TestQuantizeGate(t *testing.T) {
	dir := t.TempDir()
	m, err := RandomModel("seed-tutorial", 16, 2, 5, model.Float32)
	require.NoError(t, err)
	m.Labels = synth.ClassNames
	src := filepath.Join(dir, "m.ecnn")
	require.NoError(t, model.Save(src, m))
	require.NoError(t, synth.Generate(filepath.Join(dir, "data"), 2, 4, 16, 1))
	valid, err := dataset.FromDirectory(filepath.Join(dir, "data", "valid"), dataset.Options{Height: 16, Width: 16})
	require.NoError(t, err)

	out := filepath.Join(dir, "m.f16.ecnn")
	var warnings []string
	opt := QuantizeOptions{Model: m, Source: src, DType: model.Float16, Valid: valid, Probes: 2, ReportImages: 4, Workers: 1,
		Budget: parity.Budget{MaxDrop: 0, MinAgreement: 1.5}, Output: out, Warn: func(s string) { warnings = append(warnings, s) }}
	rep, err := Quantize(opt)
	var be *parity.BudgetError
	require.True(t, errors.As(err, &be), "want a budget error, got %v", err)
	require.NotNil(t, rep)
	require.NotEmpty(t, rep.BudgetBroken)
	_, statErr := os.Stat(out)
	require.True(t, os.IsNotExist(statErr), "a model over budget was written")

	opt.Force = true
	rep, err = Quantize(opt)
	require.NoError(t, err)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "breaks the parity budget")
	require.Equal(t, 2, rep.Probes)
	require.Greater(t, rep.FloatBytes, rep.OutputBytes, "float16 is smaller")
	q, err := model.Load(out)
	require.NoError(t, err)
	require.Equal(t, model.Float16, q.DType)
	require.NotNil(t, q.Parity)
	require.Len(t, q.Probes, 2)

	opt.DType = model.Int8
	_, err = Quantize(opt)
	require.ErrorContains(t, err, "calibration table")
}
