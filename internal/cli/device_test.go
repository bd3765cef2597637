package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/device/board"
	"github.com/edgecnn/edgecnn/infer"
)

func TestDeviceInfo(t *testing.T) {
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"device", "info", "--json"})
	defer rootCmd.SetArgs(nil)
	require.NoError(t, rootCmd.Execute())
	var info board.Info
	require.NoError(t, json.Unmarshal(out.Bytes(), &info))
	require.Equal(t, infer.KernelPath(), info.KernelPath)
	require.Positive(t, info.Cores)
	require.NotEmpty(t, info.Model, "a missing device tree reads as unknown")

	out.Reset()
	rootCmd.SetArgs([]string{"device", "info", "--json=false"}) // flags keep their values between runs
	require.NoError(t, rootCmd.Execute())
	require.Contains(t, out.String(), "kernel path  "+infer.KernelPath())
	require.Contains(t, out.String(), "board        ")
}
