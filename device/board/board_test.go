package board

import (
	"runtime"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

func TestReadPiFiles(t *testing.T) {
	root := fstest.MapFS{
		"proc/device-tree/model": {Data: []byte("Raspberry Pi 4 Model B Rev 1.4\x00")},
		"proc/meminfo": {Data: []byte("MemTotal:        3884448 kB\nMemFree:         2000000 kB\n" +
			"MemAvailable:    3300000 kB\nBuffers:           12345 kB\n")},
		"sys/class/thermal/thermal_zone0/temp": {Data: []byte("48213\n")},
	}
	info := Read(root)
	require.Equal(t, "Raspberry Pi 4 Model B Rev 1.4", info.Model)
	require.Equal(t, int64(3884448*1024), *info.MemTotal)
	require.Equal(t, int64(3300000*1024), *info.MemFree)
	require.InDelta(t, 48.213, *info.Temperature, 1e-9)
	require.Equal(t, runtime.GOARCH, info.Arch)
	require.Equal(t, runtime.NumCPU(), info.Cores)
	require.Equal(t, cpu.ARM64.HasASIMDDP, info.DotProduct)
	if runtime.GOARCH == "arm64" {
		require.True(t, info.NEON)
		require.Contains(t, info.Features, "asimd")
	}
}

func TestMissingFilesAreUnknown(t *testing.T) {
	info := Read(fstest.MapFS{
		"proc/meminfo":                         {Data: []byte("garbage\nMemTotal: lots kB\n")},
		"sys/class/thermal/thermal_zone0/temp": {Data: []byte("hot")},
	})
	require.Equal(t, Unknown, info.Model)
	require.Nil(t, info.MemTotal)
	require.Nil(t, info.MemFree)
	require.Nil(t, info.Temperature)
	require.Equal(t, Unknown, info.KernelPath)
}

func TestDeviceTreeFallbackPath(t *testing.T) {
	info := Read(fstest.MapFS{"sys/firmware/devicetree/base/model": {Data: []byte("Raspberry Pi 5 Model B Rev 1.0\x00")}})
	require.Equal(t, "Raspberry Pi 5 Model B Rev 1.0", info.Model)
}
