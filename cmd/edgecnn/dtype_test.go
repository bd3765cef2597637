package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/infer"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/model"
	"github.com/edgecnn/edgecnn/pipeline"
	"github.com/edgecnn/edgecnn/synth"
)

// TestParityRefusesFloatAsInt8: parity --int8 with a float32 model is an
// error naming it, not a comparison of the model with itself.
func TestParityRefusesFloatAsInt8(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.ecnn")
	clitest.SaveUntrained(t, m, 1)
	require.NoError(t, synth.Generate(filepath.Join(dir, "data"), 2, 1, 16, 1))
	_, _, err := clitest.Run(t, newParityCmd(), "--float", m, "--int8", m, "--data", filepath.Join(dir, "data", "valid"))
	require.ErrorContains(t, err, "--int8 "+m+" is a float32 model")
}

// TestFirmwareBuildWarnsOnFloatModel packs a float32 model (with a stand-in
// binary: an x86-64 ELF header) and expects a warning.
func TestFirmwareBuildWarnsOnFloatModel(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.ecnn")
	clitest.SaveUntrained(t, m, 1)
	key := filepath.Join(dir, "fleet.key")
	_, err := firmware.GenerateKey(key, false)
	require.NoError(t, err)
	bin := filepath.Join(dir, "edgecnn")
	require.NoError(t, os.WriteFile(bin, elfHeader(62), 0o755)) // EM_X86_64

	args := []string{"--model", m, "--target", "linux/amd64", "--binary", bin, "--key", key, "--version", "1.0.0", "-o", filepath.Join(dir, "b.ecfw")}
	_, stderr, err := clitest.Run(t, buildCmd(), args...)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "warning: "+m+" is a float32 model")
}

// elfHeader is a 64-bit little-endian ELF executable header for machine,
// with no program or section headers.
func elfHeader(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(h[16:], 2) // ET_EXEC
	le.PutUint16(h[18:], machine)
	le.PutUint32(h[20:], 1) // EV_CURRENT
	le.PutUint16(h[52:], 64)
	le.PutUint16(h[54:], 56)
	le.PutUint16(h[58:], 64)
	return h
}

// TestBenchKernelsOfTheModelsDType: bench names the float code for a
// float32 model and the int8 kernel set for an int8 one.
func TestBenchKernelsOfTheModelsDType(t *testing.T) {
	for dtype, want := range map[model.DType]string{model.Float32: cli.FloatKernels, model.Int8: infer.KernelPath()} {
		m, err := pipeline.RandomModel("seed-exercise", 16, 2, 1, dtype)
		require.NoError(t, err)
		rep, err := benchRun(m, &benchFlags{frames: 2, threads: []int{1}}, 1)
		require.NoError(t, err)
		require.Equal(t, want, rep.Kernel, dtype)
	}
}
