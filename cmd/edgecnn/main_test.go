package main

import (
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/stretchr/testify/require"
)

// TestExamplesNameRealCommands checks every "edgecnn ..." line of every
// command's examples names an existing command.
func TestExamplesNameRealCommands(t *testing.T) {
	cli.RefuseUnknownSubcommands(rootCmd)
	lines := 0
	for _, c := range clitest.AllCommands(rootCmd) {
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
