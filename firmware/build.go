package firmware

import (
	"bufio"
	"crypto/ed25519"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/model"
)

// DefaultDeviceRoot is where bundles are installed on a device unless a
// build says otherwise.
const DefaultDeviceRoot = "/opt/edgecnn"

// BuildOptions describe a bundle to build.
type BuildOptions struct {
	Model      string             // .ecnn file to bundle
	Target     Target             // platform of the binary
	Key        ed25519.PrivateKey // signing key
	Version    string             // release version (a folder name on the device)
	Config     *Config            // run configuration; nil = DefaultConfig
	Binary     string             // static edgecnn-device built for Target (required)
	DeviceRoot string             // install root on the device; "" = DefaultDeviceRoot
	Output     string             // bundle path, written atomically
}

// Build checks the binary is a static executable for the target,
// validates the model and configuration, renders the systemd unit, and
// writes the signed bundle atomically. It returns the bundle's manifest.
// Building the binary is the caller's job (the edgecnn command
// cross-compiles cmd/edgecnn-device, or takes a prebuilt one).
func Build(opt BuildOptions) (*Manifest, error) {
	if opt.Binary == "" {
		return nil, fmt.Errorf("no binary to bundle: build edgecnn-device for %s first", opt.Target)
	}
	if err := CheckVersion(opt.Version); err != nil {
		return nil, err
	}
	if err := opt.Target.Validate(); err != nil {
		return nil, err
	}
	root := opt.DeviceRoot
	if root == "" {
		root = DefaultDeviceRoot
	}
	if err := CheckDeviceRoot(root); err != nil {
		return nil, err
	}
	if len(opt.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("no ed25519 signing key")
	}
	m, err := model.Load(opt.Model)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	if opt.Config != nil {
		cfg = *opt.Config
	}
	if err := cfg.Validate(m.Labels); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}

	work, err := os.MkdirTemp("", "edgecnn-bundle-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	bin := opt.Binary
	if err := CheckBinary(bin, opt.Target); err != nil {
		return nil, err
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	generated := map[string][]byte{
		ConfigFile: append(cfgJSON, '\n'),
		UnitFile:   []byte(Unit(root, opt.Version, cfg)),
	}
	for name, b := range generated {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return nil, err
		}
	}
	sources := []struct{ name, path, mode string }{
		{BinaryFile, bin, "0755"},
		{ModelFile, opt.Model, "0644"},
		{ConfigFile, filepath.Join(work, ConfigFile), "0644"},
		{UnitFile, filepath.Join(work, UnitFile), "0644"},
	}
	man := &Manifest{
		Format: ManifestFormat, Version: opt.Version, Created: time.Now().UTC().Truncate(time.Second),
		Target: opt.Target, DeviceRoot: root, Model: FactsOf(m),
	}
	var files []packFile
	for _, s := range sources {
		size, sum, err := hashFile(s.path)
		if err != nil {
			return nil, err
		}
		e := File{Path: s.name, Type: TypeFile, Mode: s.mode, Size: size, SHA256: sum}
		man.Files = append(man.Files, e)
		files = append(files, packFile{entry: e, path: s.path})
	}
	err = atomicfile.Write(opt.Output, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<18)
		if err := writeBundle(bw, man, opt.Key, files); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return nil, err
	}
	return man, nil
}

// CheckBinary checks that path is a statically linked Linux ELF executable
// for t's architecture.
func CheckBinary(path string, t Target) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("binary %s: not an ELF executable: %v", path, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "arm": elf.EM_ARM, "amd64": elf.EM_X86_64}[t.GOARCH]
	if f.Machine != want {
		return fmt.Errorf("binary %s is for %v, target %s needs %v", path, f.Machine, t, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("binary %s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}
