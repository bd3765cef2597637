package model

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// residualModel is conv -> conv -> add(conv, conv_1) -> flatten -> dense.
func residualModel() *Model {
	m := tinyModel()
	m.Layers = []Layer{
		{Name: "conv2d", Type: Conv2D, Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: Same,
			OutputShape: []int{4, 4, 2}, Weights: []string{"conv2d/kernel", "conv2d/bias"}},
		{Name: "relu", Type: ReLULayer, MaxValue: 6, OutputShape: []int{4, 4, 2}},
		{Name: "add", Type: Add, Inputs: []string{"conv2d", "relu"}, OutputShape: []int{4, 4, 2}},
		m.Layers[1], m.Layers[2],
	}
	return m
}

func TestGraphRoundTrip(t *testing.T) {
	m := residualModel()
	b, err := Encode(m)
	require.NoError(t, err)
	require.Equal(t, uint16(MajorVersion), binary.LittleEndian.Uint16(b[4:]))
	got, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, m.Layers, got.Layers)
	g, err := got.Graph()
	require.NoError(t, err)
	require.Equal(t, [][]int{{ModelInput}, {0}, {0, 1}, {2}, {3}}, g)
	require.False(t, got.IsSequential())
	require.ErrorContains(t, got.RequireSequential("the int8 runtime"), "the int8 runtime supports Sequential models only")
	require.True(t, tinyModel().IsSequential())
	require.NoError(t, tinyModel().RequireSequential("x"))
}

func TestGraphErrors(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(m *Model)
		want string
	}{
		"unknown input":   {func(m *Model) { m.Layers[2].Inputs[1] = "nope" }, `input "nope" is not a layer`},
		"later input":     {func(m *Model) { m.Layers[1].Inputs = []string{"add"} }, "comes after it"},
		"self input":      {func(m *Model) { m.Layers[2].Inputs[1] = "add" }, "comes after it"},
		"add one input":   {func(m *Model) { m.Layers[2].Inputs = []string{"relu"} }, "Add needs at least 2 inputs"},
		"add in chain":    {func(m *Model) { m.Layers[2].Inputs = nil; m.Layers[1].Inputs = []string{"conv2d"} }, "Add needs at least 2 inputs"},
		"two inputs":      {func(m *Model) { m.Layers[1].Inputs = []string{"conv2d", "conv2d"} }, "ReLU takes 1 input, has 2"},
		"unused":          {func(m *Model) { m.Layers[2].Inputs = []string{"conv2d", "conv2d"} }, "(relu): its output is not used"},
		"duplicate name":  {func(m *Model) { m.Layers[1].Name = "conv2d" }, `two layers are named "conv2d"`},
		"no name":         {func(m *Model) { m.Layers[3].Name = "" }, "has no name"},
		"reserved name":   {func(m *Model) { m.Layers[0].Name = InputName }, `is named "input"`},
		"shape mismatch":  {func(m *Model) { m.Layers[2].Inputs[1] = InputName }, "adds the input [4 4 3] to a [4 4 2] output"},
		"unknown type":    {func(m *Model) { m.Layers[1].Type = "Swish" }, `unknown type "Swish"`},
		"add layer shape": {func(m *Model) { m.Layers[1].OutputShape = []int{4, 4, 3} }, "adds relu's [4 4 3] to a [4 4 2] output"},
	} {
		m := residualModel()
		c.edit(m)
		_, err := Encode(m)
		require.ErrorContains(t, err, c.want, name)
	}
}

// v1-sequential.ecnn was written by format 1's writer (main at 7051eeb,
// before graphs): train.FromSpecFile of Conv2D-BatchNormalization-MaxPool2D-
// Flatten-Dropout-Dense on 6x6x3, saved with model.Save.
func TestReadsFormat1(t *testing.T) {
	path := filepath.Join("testdata", "v1-sequential.ecnn")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, uint16(1), binary.LittleEndian.Uint16(b[4:]))
	m, err := Load(path)
	require.NoError(t, err)
	var types []string
	for _, l := range m.Layers {
		types = append(types, l.Type)
		require.Empty(t, l.Inputs)
	}
	require.Equal(t, []string{Conv2D, BatchNormalization, MaxPool2D, Flatten, Dropout, Dense}, types)
	require.True(t, m.IsSequential())
	require.Len(t, m.Tensors, 8)

	// It is written again as format 2 with the same graph and tensors.
	again, err := Encode(m)
	require.NoError(t, err)
	require.Equal(t, uint16(MajorVersion), binary.LittleEndian.Uint16(again[4:]))
	m2, err := Decode(again)
	require.NoError(t, err)
	require.Equal(t, m.Layers, m2.Layers)
	for i, tt := range m.Tensors {
		require.Equal(t, tt.Data, m2.Tensors[i].Data, tt.Name)
	}

	// A format 1 file cannot name inputs.
	insert := `,"inputs":["dropout"]`
	edited := []byte(strings.Replace(string(b), `"type":"Dense"`, `"type":"Dense"`+insert, 1))
	require.NotEqual(t, b, edited)
	hlen := binary.LittleEndian.Uint32(edited[8:])
	binary.LittleEndian.PutUint32(edited[8:], hlen+uint32(len(insert)))
	_, err = Decode(resealed(edited))
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, "a format 1 file describes a Sequential model")
}
