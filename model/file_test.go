package model

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func tinyModel() *Model {
	m := &Model{
		Name:   "tiny",
		DType:  Float32,
		Input:  Preprocess{Height: 4, Width: 4, Channels: 3, Interpolation: "bilinear", Scale: 1.0 / 255},
		Labels: []string{"Car", "Truck"},
		Layers: []Layer{
			{Name: "conv2d", Type: Conv2D, Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{1, 1}, Padding: Same, Activation: ReLU,
				OutputShape: []int{4, 4, 2}, Weights: []string{"conv2d/kernel", "conv2d/bias"}},
			{Name: "flatten", Type: Flatten, OutputShape: []int{32}},
			{Name: "dense", Type: Dense, Units: 1, Activation: Sigmoid, OutputShape: []int{1}, Weights: []string{"dense/kernel", "dense/bias"}},
		},
	}
	k := make([]float32, 3*3*3*2)
	for i := range k {
		k[i] = float32(i) / 7
	}
	m.AddTensor(NewFloat32("conv2d/kernel", []int{3, 3, 3, 2}, k))
	m.AddTensor(NewFloat32("conv2d/bias", []int{2}, []float32{0.5, -0.5}))
	m.AddTensor(NewFloat16("dense/kernel", []int{32, 1}, make([]float32, 32)))
	m.AddTensor(NewInt32("dense/bias", []int{1}, []int32{-3}))
	return m
}

func TestRoundTrip(t *testing.T) {
	m := tinyModel()
	path := filepath.Join(t.TempDir(), "m.ecnn")
	require.NoError(t, Save(path, m))
	got, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, m.Layers, got.Layers)
	require.Equal(t, m.Labels, got.Labels)
	require.Len(t, got.Tensors, 4)
	for i, tt := range got.Tensors {
		require.Equal(t, m.Tensors[i].Data, tt.Data, tt.Name)
		require.Equal(t, m.Tensors[i].Shape, tt.Shape, tt.Name)
	}
	k, err := got.Tensor("conv2d/kernel")
	require.NoError(t, err)
	v, err := k.Float32s()
	require.NoError(t, err)
	require.InDelta(t, 1.0/7, v[1], 1e-7)
}

func TestAlignment(t *testing.T) {
	b, err := Encode(tinyModel())
	require.NoError(t, err)
	m, err := Decode(b)
	require.NoError(t, err)
	for _, tt := range m.Tensors {
		// Find where the slice starts within b.
		found := -1
		for off := 0; off+len(tt.Data) <= len(b); off += Alignment {
			if len(tt.Data) > 0 && &b[off] == &tt.Data[0] {
				found = off
				break
			}
		}
		require.NotEqual(t, -1, found, "tensor %s does not start on a 64-byte boundary of the file", tt.Name)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, err := Encode(tinyModel())
	require.NoError(t, err)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":       {nil, "too short"},
		"magic":       {mut(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		"version":     {mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[4:], 9); return b }), "version 9.0 is not supported"},
		"truncated":   {good[:len(good)-100], "truncated"},
		"trailing":    {append(append([]byte(nil), good...), 0), "trailing"},
		"bitflip":     {mut(func(b []byte) []byte { b[len(b)-20] ^= 1; return b }), "checksum mismatch"},
		"header flip": {mut(func(b []byte) []byte { b[40] ^= 0x20; return b }), "checksum mismatch"},
	}
	for name, c := range cases {
		_, err := Decode(c.b)
		require.Error(t, err, name)
		require.True(t, errors.Is(err, ErrFormat), name)
		require.Contains(t, err.Error(), c.want, name)
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.ecnn")
	b, _ := Encode(tinyModel())
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err := Load(path)
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), path+": "), err.Error())
}

func TestEncodeRejectsBadGraph(t *testing.T) {
	m := tinyModel()
	m.Layers[0].Weights = append(m.Layers[0].Weights, "missing")
	_, err := Encode(m)
	require.ErrorContains(t, err, `no tensor "missing"`)
	m = tinyModel()
	m.Labels = []string{"a", "b", "c"}
	_, err = Encode(m)
	require.ErrorContains(t, err, "head has 1 outputs for 3 labels")
}

func FuzzDecode(f *testing.F) {
	good, err := Encode(tinyModel())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	f.Add(good, true)
	graph, err := Encode(residualModel())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(graph, true)
	f.Add(good[:64], false)
	f.Add([]byte("ECNN"), true)
	f.Fuzz(func(t *testing.T, b []byte, reseal bool) {
		if reseal {
			// Fix the length field and the checksum, so that the fuzzer
			// reaches the header and tensor-table checks behind them.
			b = resealed(b)
		}
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		// Whatever decodes must encode again.
		if _, err := Encode(m); err != nil {
			t.Fatalf("decoded model does not re-encode: %v", err)
		}
	})
}

// resealed returns a copy of b with its total-length field and trailing
// CRC-32C made consistent with its contents.
func resealed(b []byte) []byte {
	if len(b) < prefixSize+crcSize {
		return b
	}
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(b)))
	end := len(b) - crcSize
	binary.LittleEndian.PutUint32(b[end:], crc32.Checksum(b[:end], castagnoli))
	return b
}

// A resealed model whose header was edited still gets a clear error.
func TestDecodeResealedHeaderEdits(t *testing.T) {
	good, err := Encode(tinyModel())
	require.NoError(t, err)
	for name, edit := range map[string][2]string{
		"dtype":  {`"dtype":"float16"`, `"dtype":"float64"`},
		"shape":  {`"shape":[32,1]`, `"shape":[33,1]`},
		"offset": {`"offset":`, `"offset":1`},
		"json":   {`"tensors":[`, `"tensors":{`},
	} {
		b := []byte(strings.Replace(string(good), edit[0], edit[1], 1))
		require.NotEqual(t, good, b, name)
		_, err := Decode(resealed(b))
		require.ErrorIs(t, err, ErrFormat, name)
	}
}
