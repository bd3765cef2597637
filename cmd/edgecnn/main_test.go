package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExamplesNameRealCommands checks every "edgecnn ..." line of every
// command's examples names an existing command.
func TestExamplesNameRealCommands(t *testing.T) {
	refuseUnknownSubcommands(rootCmd)
	lines := 0
	for _, c := range allCommands(rootCmd) {
		for _, line := range strings.Split(c.Example, "\n") {
			fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "sudo "))
			if len(fields) < 2 || fields[0] != "edgecnn" {
				continue
			}
			lines++
			words := fields[1:]
			for i, w := range words {
				if strings.HasPrefix(w, "-") {
					words = words[:i]
					break
				}
			}
			found, rest, err := rootCmd.Find(words)
			require.NoError(t, err, "%s example %q", c.CommandPath(), line)
			require.False(t, found.HasSubCommands() && len(rest) > 0, "%s example %q: no command %q", c.CommandPath(), line, rest)
		}
	}
	require.Greater(t, lines, 40)
}

func TestVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/edgecnn/edgecnn", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "9e8aa63"}, {Key: "vcs.time", Value: "2026-12-05T08:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	require.Equal(t, "v1.2.0, revision 9e8aa63+modified (2026-12-05T08:00:00Z), go1.26.0", version(bi, true))
	require.Equal(t, "(devel), go1.26.0", version(&debug.BuildInfo{GoVersion: "go1.26.0"}, true))

	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"--version"})
	t.Cleanup(func() {
		rootCmd.SetOut(nil)
		rootCmd.SetArgs(nil)
		rootCmd.Flags().Set("version", "false")
	})
	require.NoError(t, rootCmd.Execute())
	require.Regexp(t, `^edgecnn version \S.*go1\.\d+`, out.String())
}
