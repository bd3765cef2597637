//go:build amd64 && !purego

package kernel

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

func TestSelectionFollowsCPUFeatures(t *testing.T) {
	want := "generic"
	if cpu.X86.HasAVX2 {
		want = "avx2"
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI {
		want = "avx512vnni"
	}
	require.Equal(t, want, Impl())
	require.Equal(t, "generic", implementations[0].name)
}
