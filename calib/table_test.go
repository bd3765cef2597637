package calib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/model"
)

func denseModel(w float32) *model.Model {
	m := &model.Model{
		Name:   "tiny dense",
		DType:  model.Float32,
		Input:  model.Preprocess{Height: 1, Width: 1, Channels: 3, Scale: 1.0 / 255},
		Labels: []string{"a", "b"},
		Layers: []model.Layer{{Name: "dense", Type: model.Dense, Units: 2, Activation: model.Softmax,
			OutputShape: []int{2}, Weights: []string{"dense/kernel", "dense/bias"}}},
	}
	m.AddTensor(model.NewFloat32("dense/kernel", []int{3, 2}, []float32{w, 1, 2, 3, 4, 5}))
	m.AddTensor(model.NewFloat32("dense/bias", []int{2}, []float32{0, 0}))
	return m
}

func TestTableRoundTrip(t *testing.T) {
	m := denseModel(0)
	tab := &Table{Model: m.Name, ModelHash: ModelHash(m), Method: Percentile, Percentile: 99.9, Samples: 500, Seed: 7,
		Entries: []Entry{NewEntry(InputName, 0, 1), NewEntry("dense", -3.25, 7.1)}}
	path := filepath.Join(t.TempDir(), "calib.table")
	require.NoError(t, tab.Write(path))
	got, err := ReadTable(path)
	require.NoError(t, err)
	require.Equal(t, tab, got)
	require.NoError(t, got.CheckModel(m))
	p, err := got.Params(InputName)
	require.NoError(t, err)
	require.Equal(t, model.QuantParams{Scale: 1.0 / 255, ZeroPoint: -128}, p)
	_, err = got.Params("conv9")
	require.ErrorContains(t, err, `no entry for tensor "conv9"`)

	text, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(text), `edgecnn-calib v1 model="tiny dense" hash=`+tab.ModelHash+" method=percentile percentile=99.9"), string(text))
}

func TestTableRefusesOtherModel(t *testing.T) {
	m := denseModel(0)
	tab := &Table{Model: m.Name, ModelHash: ModelHash(m), Method: MinMax, Entries: []Entry{NewEntry(InputName, 0, 1)}}
	other := denseModel(0.5) // same graph, one weight differs
	err := tab.CheckModel(other)
	require.ErrorContains(t, err, "was made for model")
	require.ErrorContains(t, err, "run edgecnn calib")

	renamed := denseModel(0)
	renamed.Name = "renamed"
	renamed.Provenance.Epochs = 3
	require.NoError(t, tab.CheckModel(renamed), "name and provenance are not part of the hash")
}

func TestReadTableErrors(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	head := "edgecnn-calib v1 model=\"m\" hash=" + hash + " method=minmax samples=1 seed=0\n"
	cases := map[string]struct{ text, want string }{
		"empty":      {"", "empty file"},
		"not table":  {"P6 32 32 255\n", "not a calibration table"},
		"no hash":    {"edgecnn-calib v1 model=\"m\" method=minmax\n", "no model hash"},
		"fields":     {head + "input 0 1 0.1\n", "line 2: want 5 fields"},
		"nan":        {head + "input 0 NaN 0.1 -128\n", "not a finite number"},
		"zero point": {head + "input 0 1 0.1 200\n", "zero point"},
		"scale":      {head + "input 0 1 0 -128\n", "scale 0 is not positive"},
		"order":      {head + "input 2 1 0.1 -128\n", "min 2 is above max 1"},
		"twice":      {head + "input 0 1 0.1 -128\ninput 0 1 0.1 -128\n", `line 3: tensor "input" listed twice`},
		"no input":   {head + "conv 0 1 0.1 -128\n", `no "input" entry`},
		"bad seed":   {strings.Replace(head, "seed=0", "seed=x", 1), "seed"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		path := filepath.Join(dir, name+".table")
		require.NoError(t, os.WriteFile(path, []byte(c.text), 0o644))
		_, err := ReadTable(path)
		require.ErrorContains(t, err, c.want, name)
		require.True(t, strings.HasPrefix(err.Error(), path+": "), "%s: error does not name the file: %v", name, err)
	}
}

func TestWriteRefusesBadName(t *testing.T) {
	tab := &Table{ModelHash: strings.Repeat("0", 64), Entries: []Entry{NewEntry("has space", 0, 1)}}
	require.ErrorContains(t, tab.Write(filepath.Join(t.TempDir(), "t")), `tensor name "has space"`)
}
