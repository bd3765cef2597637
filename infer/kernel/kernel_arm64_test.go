//go:build arm64 && !purego

package kernel

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/cpu"
)

func TestSelectionFollowsCPUFeatures(t *testing.T) {
	want := "generic"
	if cpu.ARM64.HasASIMD {
		want = "neon"
	}
	if cpu.ARM64.HasASIMDDP {
		want = "sdot"
	}
	require.Equal(t, want, Impl())
	require.Equal(t, "generic", implementations[0].name)
}
