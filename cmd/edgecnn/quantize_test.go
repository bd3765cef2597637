package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/calib"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
	"github.com/edgecnn/edgecnn/synth"
)

// quantFixture is a folder with generated car/truck images (16x16) and an
// untrained float model for them.
type quantFixture struct{ dir, train, valid, model string }

func newQuantFixture(t *testing.T) quantFixture {
	dir := t.TempDir()
	require.NoError(t, synth.Generate(filepath.Join(dir, "data"), 30, 20, 16, 1))
	f := quantFixture{dir: dir, train: filepath.Join(dir, "data", synth.TrainDir), valid: filepath.Join(dir, "data", synth.ValidDir),
		model: filepath.Join(dir, "model.ecnn")}
	clitest.SaveUntrained(t, f.model, 1)
	return f
}

func TestCalibQuantizeParityCommands(t *testing.T) {
	f := newQuantFixture(t)
	table := filepath.Join(f.dir, "calib.table")
	out, _, err := clitest.Run(t, newCalibCmd(), "--model", f.model, "--data", f.train, "--samples", "40", "--method", "percentile", "--percentile", "99.9", "-o", table, "--json")
	require.NoError(t, err)
	var tab calib.Table
	require.NoError(t, json.Unmarshal([]byte(out), &tab))
	require.Equal(t, 40, tab.Samples)
	require.Equal(t, 99.9, tab.Percentile)
	onDisk, err := calib.ReadTable(table)
	require.NoError(t, err)
	require.Equal(t, &tab, onDisk)

	q8 := filepath.Join(f.dir, "model.q8.ecnn")
	loose := []string{"--max-drop", "100", "--min-agreement", "0"}
	out, _, err = clitest.Run(t, newQuantizeCmd(), append([]string{"--model", f.model, "--calib", table, "--data", f.train, "--valid", f.valid, "-o", q8, "--json"}, loose...)...)
	require.NoError(t, err)
	var rep pipeline.QuantizeReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 4, rep.Probes)
	require.NotNil(t, rep.Parity)
	require.Equal(t, 40, rep.Parity.Images)
	require.NotEmpty(t, rep.Activations)
	require.Less(t, rep.OutputBytes, rep.FloatBytes/3)

	q, err := model.Load(q8)
	require.NoError(t, err)
	require.Equal(t, model.Int8, q.DType)
	require.Equal(t, rep.Parity.Agreement, q.Parity.Agreement)
	rt, err := infer.Load(q, infer.Options{})
	require.NoError(t, err)
	require.NoError(t, rt.SelfCheck(), "the stored probes match the runtime")
	rt.Close()

	out, _, err = clitest.Run(t, newParityCmd(), append([]string{"--float", f.model, "--int8", q8, "--data", f.valid, "--json"}, loose...)...)
	require.NoError(t, err)
	var keys map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &keys))
	for _, k := range []string{"float_accuracy", "int8_accuracy", "agreement", "layers", "classes", "mean_abs_diff", "max_abs_diff"} {
		require.Contains(t, keys, k)
	}
	require.Equal(t, true, keys["passed"])

	out, _, err = clitest.Run(t, newParityCmd(), append([]string{"--float", f.model, "--int8", q8, "--data", f.valid}, loose...)...)
	require.NoError(t, err)
	for _, s := range []string{"top-1 agreement", "Truck", "SQNR dB", "conv2d_2"} {
		require.Contains(t, out, s)
	}
}

// A model that breaks the budget makes parity exit with code 3 and
// quantize refuse to write it unless forced.
func TestParityBudgetExitCode(t *testing.T) {
	f := newQuantFixture(t)
	q8 := filepath.Join(f.dir, "model.q8.ecnn")
	impossible := []string{"--min-agreement", "1.01"}
	_, _, err := clitest.Run(t, newQuantizeCmd(), append([]string{"--model", f.model, "--data", f.train, "--valid", f.valid, "--method", "minmax", "-o", q8}, impossible...)...)
	require.Error(t, err)
	require.Equal(t, budgetExitCode, cli.ExitCode(err))
	require.ErrorContains(t, err, "not written")
	require.ErrorContains(t, err, "worst layers:")
	require.NoFileExists(t, q8)

	_, _, err = clitest.Run(t, newQuantizeCmd(), append([]string{"--model", f.model, "--data", f.train, "--valid", f.valid, "--method", "minmax", "-o", q8, "--force"}, impossible...)...)
	require.NoError(t, err)
	require.FileExists(t, q8)

	out, _, err := clitest.Run(t, newParityCmd(), append([]string{"--float", f.model, "--int8", q8, "--data", f.valid}, impossible...)...)
	require.Error(t, err)
	require.Equal(t, budgetExitCode, cli.ExitCode(err))
	require.Contains(t, out, "parity on", "the report is printed before the verdict")
}

func TestQuantizeCommandErrors(t *testing.T) {
	f := newQuantFixture(t)
	table := filepath.Join(f.dir, "calib.table")
	_, _, err := clitest.Run(t, newCalibCmd(), "--model", f.model, "--data", f.train, "--method", "minmax", "-o", table)
	require.NoError(t, err)

	other := filepath.Join(f.dir, "other.ecnn")
	clitest.SaveUntrained(t, other, 2)
	out := filepath.Join(f.dir, "q.ecnn")
	_, _, err = clitest.Run(t, newQuantizeCmd(), "--model", other, "--calib", table, "-o", out)
	require.ErrorContains(t, err, "calibration table was made for model")
	_, _, err = clitest.Run(t, newQuantizeCmd(), "--model", f.model, "-o", out)
	require.ErrorContains(t, err, "needs --calib TABLE or --data DIR")
	_, _, err = clitest.Run(t, newQuantizeCmd(), "--model", f.model, "--calib", table, "--dtype", "int4", "-o", out)
	require.ErrorContains(t, err, `--dtype "int4"`)
	_, _, err = clitest.Run(t, newCalibCmd(), "--model", f.model, "--data", f.train, "--method", "kmeans", "-o", table)
	require.ErrorContains(t, err, `unknown calibration method "kmeans"`)
	require.NoFileExists(t, out)
}

func TestQuantizeFloat16Command(t *testing.T) {
	f := newQuantFixture(t)
	f16 := filepath.Join(f.dir, "model.f16.ecnn")
	_, _, err := clitest.Run(t, newQuantizeCmd(), "--model", f.model, "--dtype", "float16", "--valid", f.valid, "-o", f16)
	require.NoError(t, err)
	m, err := model.Load(f16)
	require.NoError(t, err)
	require.Equal(t, model.Float16, m.DType)
	require.Len(t, m.Probes, 4)
	require.NotNil(t, m.Parity)
	fs, _ := os.Stat(f.model)
	hs, _ := os.Stat(f16)
	require.Less(t, hs.Size(), fs.Size()*6/10)
}
