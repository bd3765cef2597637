package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/firmware/mender"
)

// Output formats of firmware build.
const (
	formatBundle = "ecfw"
	formatMender = "mender"
)

// menderFlags are firmware build's flags for --format mender.
type menderFlags struct {
	format, key, name string
	deviceTypes       []string
}

func (m *menderFlags) add(f *pflag.FlagSet) {
	f.StringVar(&m.format, "format", formatBundle, "output: ecfw (a signed bundle) or mender (a Mender artefact holding the bundle)")
	f.StringVar(&m.key, "mender-key", "", "--format mender: ECDSA P-256 or RSA private key (PEM) that signs the artefact")
	f.StringArrayVar(&m.deviceTypes, "device-type", nil, "--format mender: Mender device type the artefact installs on (repeatable), e.g. raspberrypi4")
	f.StringVar(&m.name, "artifact-name", "", "--format mender: artefact name (default edgecnn-VERSION)")
}

// check validates the flags before anything is built, and loads the key.
func (m *menderFlags) check() (*mender.Options, error) {
	switch m.format {
	case formatBundle:
		if m.key != "" || len(m.deviceTypes) > 0 || m.name != "" {
			return nil, fmt.Errorf("--mender-key, --device-type and --artifact-name need --format mender")
		}
		return nil, nil
	case formatMender:
	default:
		return nil, fmt.Errorf("--format %q: want %s or %s", m.format, formatBundle, formatMender)
	}
	if m.key == "" {
		return nil, fmt.Errorf("--format mender needs --mender-key (an ECDSA P-256 or RSA key: openssl ecparam -genkey -name prime256v1 -noout -out mender.key)")
	}
	if len(m.deviceTypes) == 0 {
		return nil, fmt.Errorf("--format mender needs --device-type (the devices' Mender device type, e.g. raspberrypi4)")
	}
	key, err := mender.ReadSigningKey(m.key)
	if err != nil {
		return nil, err
	}
	return &mender.Options{Name: m.name, DeviceTypes: m.deviceTypes, Key: key}, nil
}

// buildMender builds the bundle into a temporary file and wraps it into
// the artefact opt.Output names.
func buildMender(opt firmware.BuildOptions, mo *mender.Options) (*firmware.Manifest, *mender.Artifact, error) {
	tmp, err := os.MkdirTemp("", "edgecnn-mender-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	mo.Output = opt.Output
	opt.Output = filepath.Join(tmp, "bundle.ecfw")
	m, err := firmware.Build(opt)
	if err != nil {
		return nil, nil, err
	}
	mo.Bundle, mo.Manifest = opt.Output, m
	a, err := mender.Write(*mo)
	return m, a, err
}

// printArtifact writes an artefact's facts for people.
func printArtifact(w io.Writer, a *mender.Artifact) {
	fmt.Fprintf(w, "wrote %s: Mender artefact %s for device types %s, update module %q\n",
		a.Output, a.Name, strings.Join(a.DeviceTypes, ", "), a.Module)
	fmt.Fprintf(w, "payload   %s, %d bytes, sha256 %s\n", a.Payload, a.PayloadSize, a.PayloadSHA256)
}
