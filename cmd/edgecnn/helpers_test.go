package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
)

// runCmd runs a fresh command with args and returns stdout and stderr.
func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errw.String(), err
}
