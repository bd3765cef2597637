package firmware

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// RunArgs is the "edgecnn-device run" command line for a release installed under
// root, as the systemd unit runs it (from ROOT/current).
func RunArgs(root string, c Config) []string {
	cur := path.Join(root, "current")
	args := []string{path.Join(cur, BinaryFile), "run",
		"--model", path.Join(cur, ModelFile),
		"--camera", c.Camera,
		"--threshold", strconv.FormatFloat(c.Threshold, 'g', -1, 64)}
	if c.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(c.Threads))
	}
	for _, g := range c.GPIO {
		args = append(args, "--gpio", g.Pin+"="+g.Label)
	}
	return args
}

// Unit renders the systemd service for a release installed under root
// (an absolute path on the device). It runs the current release, restarts
// it on failure, and confines it: a dynamic user in the video and gpio
// groups, read-only system, no new privileges, no capabilities.
func Unit(root, version string, c Config) string {
	quoted := make([]string, 0, 16)
	for _, a := range RunArgs(root, c) {
		quoted = append(quoted, systemdQuote(a))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `[Unit]
Description=edgecnn camera classifier (bundle %s)
Documentation=https://github.com/edgecnn/edgecnn
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type=simple
WorkingDirectory=%s
ExecStart=%s
Restart=on-failure
RestartSec=2
DynamicUser=yes
SupplementaryGroups=video gpio
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

[Install]
WantedBy=multi-user.target
`, version, path.Join(root, "current"), strings.Join(quoted, " "))
	return b.String()
}

// CheckDeviceRoot accepts an absolute, clean path without spaces, control
// characters, '%' or '$', so it can be written into a unit file as is.
func CheckDeviceRoot(root string) error {
	if !path.IsAbs(root) || path.Clean(root) != root {
		return fmt.Errorf("device root %q must be an absolute, clean path", root)
	}
	if strings.ContainsFunc(root, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '%' || r == '$' || r == '"' || r == '\\' }) {
		return fmt.Errorf("device root %q has a space, control character or one of %%$\"\\", root)
	}
	return nil
}

// systemdQuote quotes one word of a unit-file command line: specifiers (%)
// and variables ($) are escaped, and words with spaces or quotes are
// double-quoted with C-style escapes.
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
