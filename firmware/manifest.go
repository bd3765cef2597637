package firmware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgecnn/edgecnn/model"
)

// Names of the files in a bundle and in an installed release.
const (
	BinaryFile   = "edgecnn-device"
	ModelFile    = "model.ecnn"
	ConfigFile   = "config.json"
	UnitFile     = "edgecnn.service"
	ManifestFile = "manifest.json"
	SigFile      = "manifest.sig"
)

// requiredFiles must be in every bundle.
var requiredFiles = []string{BinaryFile, ModelFile, ConfigFile, UnitFile}

// ManifestFormat is the manifest's format number.
const ManifestFormat = 1

// TypeFile is the only entry type a bundle may hold.
const TypeFile = "file"

// Manifest describes a bundle; its exact bytes are signed.
type Manifest struct {
	Format  int       `json:"format"`
	Version string    `json:"version"`
	Created time.Time `json:"created"`
	Target  Target    `json:"target"`
	// DeviceRoot is the install root the systemd unit refers to.
	DeviceRoot string     `json:"device_root"`
	Files      []File     `json:"files"`
	Model      ModelFacts `json:"model"`
}

// File is one entry of a bundle.
type File struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Mode   string `json:"mode"` // octal permission bits, e.g. "0755"
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ModelFacts summarise the bundled model.
type ModelFacts struct {
	Name          string        `json:"name"`
	DType         model.DType   `json:"dtype"`
	Labels        []string      `json:"labels"`
	InputWidth    int           `json:"input_width"`
	InputHeight   int           `json:"input_height"`
	InputChannels int           `json:"input_channels"`
	Probes        int           `json:"probes"`
	Parity        *model.Parity `json:"parity,omitempty"`
}

// FactsOf summarises m.
func FactsOf(m *model.Model) ModelFacts {
	return ModelFacts{
		Name: m.Name, DType: m.DType, Labels: m.Labels,
		InputWidth: m.Input.Width, InputHeight: m.Input.Height, InputChannels: m.Input.Channels,
		Probes: len(m.Probes), Parity: m.Parity,
	}
}

// File returns the entry named path.
func (m *Manifest) File(path string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// TotalSize is the sum of the files' sizes.
func (m *Manifest) TotalSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

var versionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`) }) // compiled on first use: at start-up it costs milliseconds

// CheckVersion accepts versions that are safe as a folder name: letters,
// digits, '.', '_', '+', '-', starting with a letter or digit, at most 64
// characters.
func CheckVersion(v string) error {
	if !versionRE().MatchString(v) {
		return fmt.Errorf("version %q: use 1-64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit", v)
	}
	return nil
}

// CheckPath refuses any bundle path that is not a plain file name inside the
// release folder.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	case p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.."):
		return fmt.Errorf("path %q escapes the release folder", p)
	case strings.ContainsAny(p, "/\\"):
		return fmt.Errorf("path %q has a folder part: bundle files are flat", p)
	case strings.HasPrefix(p, "."):
		return fmt.Errorf("path %q starts with a dot", p)
	case len(p) > 128:
		return fmt.Errorf("path %q is longer than 128 bytes", p)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("path %q has a control character", p)
		}
	}
	if p == ManifestFile || p == SigFile {
		return fmt.Errorf("path %q is reserved for the installer", p)
	}
	return nil
}

// parseMode reads an octal permission string and refuses special bits.
func parseMode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || len(s) != 4 {
		return 0, fmt.Errorf("mode %q is not a 4-digit octal permission such as 0644", s)
	}
	if v&^0o777 != 0 {
		return 0, fmt.Errorf("mode %q has setuid, setgid or sticky bits", s)
	}
	return uint32(v), nil
}

// checkFile validates one entry's type, path, mode and hash syntax.
func checkFile(f File) error {
	if err := CheckPath(f.Path); err != nil {
		return err
	}
	if f.Type != TypeFile {
		return fmt.Errorf("%s: entry type %q is not allowed: only regular files (%q), no symlinks, hardlinks, folders or devices", f.Path, f.Type, TypeFile)
	}
	if _, err := parseMode(f.Mode); err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if f.Size < 0 || f.Size > MaxFileSize {
		return fmt.Errorf("%s: size %d is outside [0, %d]", f.Path, f.Size, int64(MaxFileSize))
	}
	if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
		return fmt.Errorf("%s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
	}
	return nil
}

// Validate checks everything an installer relies on: format, version,
// target, and that the file list is exactly safe, unique, regular files
// including the required ones.
func (m *Manifest) Validate() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("manifest format %d is not supported (this build reads %d)", m.Format, ManifestFormat)
	}
	if err := CheckVersion(m.Version); err != nil {
		return err
	}
	if err := m.Target.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkFile(f); err != nil {
			return err
		}
		if seen[f.Path] {
			return fmt.Errorf("%s: listed twice", f.Path)
		}
		seen[f.Path] = true
	}
	for _, p := range requiredFiles {
		if !seen[p] {
			return fmt.Errorf("required file %s is missing", p)
		}
	}
	return nil
}

// DecodeManifest parses and validates manifest bytes. Unknown fields are
// refused, so nothing signed goes unread.
func DecodeManifest(b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return &m, nil
}

// encode serialises m as indented JSON (what gets signed).
func (m *Manifest) encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
