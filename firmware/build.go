package firmware

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/model"
)

// ModulePath is the Go module the edgecnn command is built from.
const ModulePath = "github.com/edgecnn/edgecnn"

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
	Binary     string             // prebuilt edgecnn for Target; "" = cross-compile
	Source     string             // module root to build from; "" = locate it
	DeviceRoot string             // install root on the device; "" = DefaultDeviceRoot
	Output     string             // bundle path, written atomically
	Log        io.Writer          // progress and go build's output; nil = discard
}

// Build cross-compiles (or takes) the binary, validates the model and
// configuration, renders the systemd unit, and writes the signed bundle
// atomically. It returns the bundle's manifest.
func Build(ctx context.Context, opt BuildOptions) (*Manifest, error) {
	log := opt.Log
	if log == nil {
		log = io.Discard
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
	if bin == "" {
		bin = filepath.Join(work, BinaryFile)
		if err := CrossCompile(ctx, opt.Source, opt.Target, bin, log); err != nil {
			return nil, err
		}
	} else if err := CheckBinary(bin, opt.Target); err != nil {
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

// CrossCompile builds ./cmd/edgecnn of the module at source (located with
// LocateSource when empty) for t into out: CGO_ENABLED=0, -trimpath,
// -ldflags "-s -w". go build's output goes to log.
func CrossCompile(ctx context.Context, source string, t Target, out string, log io.Writer) error {
	if source == "" {
		var err error
		if source, err = LocateSource(ctx); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "building edgecnn for %s from %s\n", t, source)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", abs, "./cmd/edgecnn")
	cmd.Dir = source
	cmd.Env = append(os.Environ(), t.Env()...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s in %s: %w", t, source, err)
	}
	return CheckBinary(abs, t)
}

// LocateSource finds the root of the edgecnn module from the current
// directory (go env GOMOD), checking it really is ModulePath.
func LocateSource(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("cannot build edgecnn: the go toolchain is not usable (%v); pass --binary with a prebuilt edgecnn", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("cannot build edgecnn: the current directory is not inside the edgecnn source; run from the source tree, pass --source, or pass --binary")
	}
	if mod, err := moduleOf(gomod); err != nil {
		return "", err
	} else if mod != ModulePath {
		return "", fmt.Errorf("cannot build edgecnn: %s is module %q, not %q; run from the edgecnn source tree or pass --binary", gomod, mod, ModulePath)
	}
	return filepath.Dir(gomod), nil
}

// moduleOf reads the module path from a go.mod file.
func moduleOf(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
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
