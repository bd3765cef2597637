package firmware

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Target is the platform a bundle's binary runs on.
type Target struct {
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	GOARM  string `json:"goarm,omitempty"` // "6" or "7" for GOARCH=arm
}

// Targets lists the platforms a bundle can be built for, as accepted by
// ParseTarget.
var Targets = []string{"linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/amd64"}

// ParseTarget reads "linux/arm64", "linux/arm/v7", "linux/arm/v6" or
// "linux/amd64".
func ParseTarget(s string) (Target, error) {
	parts := strings.Split(s, "/")
	var t Target
	switch {
	case len(parts) == 2:
		t = Target{GOOS: parts[0], GOARCH: parts[1]}
	case len(parts) == 3 && strings.HasPrefix(parts[2], "v"):
		t = Target{GOOS: parts[0], GOARCH: parts[1], GOARM: strings.TrimPrefix(parts[2], "v")}
	default:
		return Target{}, fmt.Errorf("target %q: want one of %s", s, strings.Join(Targets, ", "))
	}
	if err := t.Validate(); err != nil {
		return Target{}, fmt.Errorf("target %q: want one of %s", s, strings.Join(Targets, ", "))
	}
	return t, nil
}

// Validate accepts the platforms of Targets.
func (t Target) Validate() error {
	ok := t.GOOS == "linux" && ((t.GOARCH == "arm64" || t.GOARCH == "amd64") && t.GOARM == "" ||
		t.GOARCH == "arm" && (t.GOARM == "6" || t.GOARM == "7"))
	if !ok {
		return fmt.Errorf("target %s is not supported (want one of %s)", t, strings.Join(Targets, ", "))
	}
	return nil
}

// String is the target in ParseTarget's syntax.
func (t Target) String() string {
	if t.GOARM != "" {
		return t.GOOS + "/" + t.GOARCH + "/v" + t.GOARM
	}
	return t.GOOS + "/" + t.GOARCH
}

// Env is the go build environment for t: static and cgo-free.
func (t Target) Env() []string {
	return []string{"CGO_ENABLED=0", "GOOS=" + t.GOOS, "GOARCH=" + t.GOARCH, "GOARM=" + t.GOARM}
}

// HostTarget is the platform this program runs on. On 32-bit ARM, GOARM is
// the level this binary was built for (7 when the build did not record it).
func HostTarget() Target {
	t := Target{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if t.GOARCH == "arm" {
		t.GOARM = "7"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "GOARM" && s.Value != "" {
					t.GOARM = s.Value
				}
			}
		}
	}
	return t
}

// RunsOn reports whether a binary built for t runs on host: same OS and
// architecture, and on 32-bit ARM an instruction set level no higher than the
// host's.
func (t Target) RunsOn(host Target) bool {
	if t.GOOS != host.GOOS || t.GOARCH != host.GOARCH {
		return false
	}
	return t.GOARCH != "arm" || t.GOARM <= host.GOARM
}
