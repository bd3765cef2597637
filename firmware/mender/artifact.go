// Package mender wraps a signed edgecnn bundle into a Mender artefact, so a
// fleet that already runs Mender (a server of its own or the hosted one) can
// roll bundles out, and ships the update module that installs it on the
// device through edgecnn's own installer: A/B releases, the self-check and
// rollback stay edgecnn's, Mender only delivers and reports.
//
// # Artefact layout (Mender artefact format version 3)
//
// The artefact is an uncompressed tar holding, in this order:
//
//	version            {"format":"mender","version":3}
//	manifest           "SHA256  NAME\n" for version, header.tar.gz and
//	                   data/0000/PAYLOAD, sorted by name
//	manifest.sig       base64 signature of the manifest file's bytes
//	header.tar.gz      header-info              payload types, artefact name, device types
//	                   headers/0000/type-info   update module name, provides, clears_provides
//	                   headers/0000/meta-data   the bundle's facts (passed to the module)
//	data/0000.tar.gz   the payload: the .ecfw bundle, unchanged
//
// The payload type is the update module's name (ModuleName, a
// "module-image" in Mender's words); the device runs
// /usr/share/mender/modules/v3/edgecnn with the payload in FILES/files/.
// The signature is made with ECDSA P-256 (r and s as two 32-byte numbers)
// or RSA PKCS#1 v1.5, both over SHA-256, as mender-artifact does: the
// Mender client checks it against the key in its configuration
// (ArtifactVerifyKey) before the module runs. The bundle inside keeps its
// own ed25519 signature, which edgecnn firmware install checks again.
package mender

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// ModuleName is the default update module (payload type) name.
const ModuleName = "edgecnn"

// FormatVersion is the Mender artefact format version written.
const FormatVersion = 3

// Options describe an artefact to write.
type Options struct {
	// Bundle is the signed .ecfw file to deliver; Manifest is its
	// manifest, as firmware.Build or firmware.Verify return it.
	Bundle   string
	Manifest *firmware.Manifest
	// Name is the artefact name Mender shows and records as installed;
	// "" = "edgecnn-" + the bundle's version.
	Name string
	// DeviceTypes are the Mender device types the artefact installs on
	// (the device's /var/lib/mender/device_type); at least one.
	DeviceTypes []string
	// Module is the update module name; "" = ModuleName.
	Module string
	// Key signs the manifest: *ecdsa.PrivateKey on P-256 or
	// *rsa.PrivateKey (see ReadSigningKey).
	Key crypto.Signer
	// Output is the artefact file, written atomically.
	Output string
}

// Artifact summarises a written artefact.
type Artifact struct {
	Name        string            `json:"name"`
	DeviceTypes []string          `json:"device_types"`
	Module      string            `json:"module"`
	Provides    map[string]string `json:"provides"`
	Payload     string            `json:"payload"`
	PayloadSize int64             `json:"payload_size"`
	// PayloadSHA256 is the hex SHA-256 of the bundle, as in the manifest.
	PayloadSHA256 string `json:"payload_sha256"`
	Output        string `json:"output"`
}

// namePattern bounds artefact names, device types and module names to
// printable characters without spaces or quotes.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+:@-]{0,127}$`) }) // compiled on first use: at start-up it costs milliseconds

// modulePattern is what a file name under /usr/share/mender/modules/v3 may be.
var modulePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) }) // compiled on first use: at start-up it costs milliseconds

// check fills defaults and validates o.
func (o *Options) check() error {
	if o.Manifest == nil {
		return fmt.Errorf("mender: no bundle manifest for %s", o.Bundle)
	}
	if o.Name == "" {
		o.Name = "edgecnn-" + o.Manifest.Version
	}
	if o.Module == "" {
		o.Module = ModuleName
	}
	if !namePattern().MatchString(o.Name) {
		return fmt.Errorf("mender: artefact name %q: use letters, digits and . _ + : @ - (no spaces)", o.Name)
	}
	if !modulePattern().MatchString(o.Module) {
		return fmt.Errorf("mender: update module name %q: use letters, digits and . _ -", o.Module)
	}
	if len(o.DeviceTypes) == 0 {
		return fmt.Errorf("mender: no device type: give the devices' Mender device type (see /var/lib/mender/device_type on a device)")
	}
	for _, d := range o.DeviceTypes {
		if !namePattern().MatchString(d) {
			return fmt.Errorf("mender: device type %q: use letters, digits and . _ + : @ - (no spaces)", d)
		}
	}
	if _, err := checkKey(o.Key); err != nil {
		return fmt.Errorf("mender: %w", err)
	}
	if o.Output == "" {
		return fmt.Errorf("mender: no output file")
	}
	return nil
}

// header-info, type-info and meta-data as Mender reads them.
type (
	headerInfo struct {
		Payloads         []payloadType `json:"payloads"`
		ArtifactProvides struct {
			ArtifactName string `json:"artifact_name"`
		} `json:"artifact_provides"`
		ArtifactDepends struct {
			DeviceType []string `json:"device_type"`
		} `json:"artifact_depends"`
	}
	payloadType struct {
		Type string `json:"type"`
	}
	typeInfo struct {
		Type                   string            `json:"type"`
		ArtifactProvides       map[string]string `json:"artifact_provides"`
		ClearsArtifactProvides []string          `json:"clears_artifact_provides"`
	}
	metaData struct {
		Edgecnn bundleFacts `json:"edgecnn"`
	}
	bundleFacts struct {
		Version      string   `json:"version"`
		Target       string   `json:"target"`
		Model        string   `json:"model"`
		Labels       []string `json:"labels"`
		Bundle       string   `json:"bundle"`
		BundleSHA256 string   `json:"bundle_sha256"`
	}
)

// Write builds the artefact described by opt and writes it atomically. The
// bundle is read once, streamed through SHA-256 into the compressed data
// part (a temporary file), so its size does not matter.
func Write(opt Options) (*Artifact, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	m := opt.Manifest
	mtime := m.Created
	if mtime.IsZero() {
		mtime = time.Now().UTC().Truncate(time.Second)
	}
	a := &Artifact{
		Name: opt.Name, DeviceTypes: opt.DeviceTypes, Module: opt.Module, Output: opt.Output,
		Payload: "edgecnn-" + m.Version + ".ecfw",
		// Mender's defaults for a module-image: software filesystem
		// "rootfs-image", software name = the module.
		Provides: map[string]string{"rootfs-image." + opt.Module + ".version": m.Version},
	}

	data, err := os.CreateTemp("", "edgecnn-mender-data-*.tar.gz")
	if err != nil {
		return nil, err
	}
	defer os.Remove(data.Name())
	defer data.Close()
	if a.PayloadSize, a.PayloadSHA256, err = writeData(data, opt.Bundle, a.Payload, mtime); err != nil {
		return nil, err
	}
	dataSize, err := data.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}

	header, err := headerTarGz(opt, a, mtime)
	if err != nil {
		return nil, err
	}
	version := fmt.Appendf(nil, `{"format":"mender","version":%d}`, FormatVersion)
	manifest := manifestOf(map[string]string{
		"version":                sha256Hex(version),
		"header.tar.gz":          sha256Hex(header),
		"data/0000/" + a.Payload: a.PayloadSHA256,
	})
	sig, err := sign(opt.Key, manifest)
	if err != nil {
		return nil, fmt.Errorf("mender: sign: %w", err)
	}

	err = atomicfile.Write(opt.Output, 0o644, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for _, part := range []struct {
			name string
			b    []byte
		}{{"version", version}, {"manifest", manifest}, {"manifest.sig", sig}, {"header.tar.gz", header}} {
			if err := writeEntry(tw, part.name, int64(len(part.b)), mtime, bytes.NewReader(part.b)); err != nil {
				return err
			}
		}
		if _, err := data.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := writeEntry(tw, "data/0000.tar.gz", dataSize, mtime, data); err != nil {
			return err
		}
		return tw.Close()
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// writeData writes data/0000.tar.gz (a gzipped tar holding the bundle as
// name) to w and returns the bundle's size and hex SHA-256.
func writeData(w io.Writer, bundle, name string, mtime time.Time) (int64, string, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	if !st.Mode().IsRegular() {
		return 0, "", fmt.Errorf("mender: bundle %s is not a regular file", bundle)
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	h := sha256.New()
	if err := writeEntry(tw, name, st.Size(), mtime, io.TeeReader(f, h)); err != nil {
		return 0, "", fmt.Errorf("mender: bundle %s: %w", bundle, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return 0, "", fmt.Errorf("mender: bundle %s grew while it was packed", bundle)
	}
	if err := tw.Close(); err != nil {
		return 0, "", err
	}
	if err := zw.Close(); err != nil {
		return 0, "", err
	}
	return st.Size(), hex.EncodeToString(h.Sum(nil)), nil
}

// headerTarGz renders header.tar.gz.
func headerTarGz(opt Options, a *Artifact, mtime time.Time) ([]byte, error) {
	var hi headerInfo
	hi.Payloads = []payloadType{{Type: opt.Module}}
	hi.ArtifactProvides.ArtifactName = opt.Name
	hi.ArtifactDepends.DeviceType = opt.DeviceTypes
	ti := typeInfo{
		Type: opt.Module, ArtifactProvides: a.Provides,
		ClearsArtifactProvides: []string{"rootfs-image." + opt.Module + ".*"},
	}
	m := opt.Manifest
	md := metaData{Edgecnn: bundleFacts{
		Version: m.Version, Target: m.Target.String(), Model: m.Model.Name, Labels: m.Model.Labels,
		Bundle: a.Payload, BundleSHA256: a.PayloadSHA256,
	}}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, part := range []struct {
		name string
		v    any
	}{{"header-info", hi}, {"headers/0000/type-info", ti}, {"headers/0000/meta-data", md}} {
		b, err := json.Marshal(part.v)
		if err != nil {
			return nil, err
		}
		if err := writeEntry(tw, part.name, int64(len(b)), mtime, bytes.NewReader(b)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeEntry writes one regular file of exactly size bytes from r.
func writeEntry(tw *tar.Writer, name string, size int64, mtime time.Time, r io.Reader) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: mtime,
		Uname: "root", Gname: "root", Format: tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s: %d of %d bytes (the file shrank)", name, n, size)
	}
	return nil
}

// manifestOf renders the manifest: one "SHA256  NAME" line per file, sorted
// by name, as mender-artifact writes it.
func manifestOf(sums map[string]string) []byte {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return b.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
