package firmware

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format constants of the .ecfw file (see the package documentation).
const (
	Magic         = "ECFW"
	FormatVersion = 1
	headerSize    = 16
	// MaxManifestSize bounds the manifest a reader accepts.
	MaxManifestSize = 1 << 20
	// MaxFileSize bounds each file in a bundle (1 GiB).
	MaxFileSize = 1 << 30
)

// ErrBundle is wrapped by every error about a bundle's bytes: bad format,
// bad signature, a hash or size that does not match.
var ErrBundle = errors.New("bundle refused")

func bundleErr(f string, a ...any) error {
	return fmt.Errorf("%w: "+f, append([]any{ErrBundle}, a...)...)
}

// Verified is a bundle whose manifest signature checked out.
type Verified struct {
	Manifest      *Manifest
	ManifestBytes []byte
	Signature     []byte
}

// packFile is one file to pack into a bundle.
type packFile struct {
	entry File
	path  string // where its bytes are read from
}

// writeBundle writes magic, header, manifest, signature and files to w. The
// manifest entries in m must already describe files (sizes and hashes).
func writeBundle(w io.Writer, m *Manifest, key ed25519.PrivateKey, files []packFile) error {
	mb, err := m.encode()
	if err != nil {
		return err
	}
	sig := ed25519.Sign(key, mb)
	var hdr [headerSize]byte
	copy(hdr[:], Magic)
	binary.LittleEndian.PutUint32(hdr[4:], FormatVersion)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(mb)))
	binary.LittleEndian.PutUint32(hdr[12:], ed25519.SignatureSize)
	for _, b := range [][]byte{hdr[:], mb, sig} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := copyChecked(w, f); err != nil {
			return err
		}
	}
	return nil
}

// copyChecked copies a file into w and checks it still has the size and hash
// recorded in its entry (it may have changed since it was hashed).
func copyChecked(w io.Writer, f packFile) error {
	src, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer src.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if n != f.entry.Size || hex.EncodeToString(h.Sum(nil)) != f.entry.SHA256 {
		return fmt.Errorf("%s changed while the bundle was written", f.path)
	}
	return nil
}

// hashFile returns a file's size and SHA-256.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// reader reads one bundle stream.
type reader struct {
	r      io.Reader
	verify func(manifest, sig []byte) bool
}

// verifyWith is the production signature check.
func verifyWith(pub ed25519.PublicKey) func(manifest, sig []byte) bool {
	return func(manifest, sig []byte) bool { return ed25519.Verify(pub, manifest, sig) }
}

// header reads the header, manifest and signature, checks the signature, and
// only then parses the manifest.
func (br *reader) header() (*Verified, error) {
	var hdr [headerSize]byte
	if _, err := io.ReadFull(br.r, hdr[:]); err != nil {
		return nil, bundleErr("header: %v", truncated(err))
	}
	if string(hdr[:4]) != Magic {
		return nil, bundleErr("header: bad magic %q (want %q): not an edgecnn bundle", hdr[:4], Magic)
	}
	if v := binary.LittleEndian.Uint32(hdr[4:]); v != FormatVersion {
		return nil, bundleErr("header: format version %d is not supported (this build reads %d)", v, FormatVersion)
	}
	mlen := binary.LittleEndian.Uint32(hdr[8:])
	if mlen == 0 || mlen > MaxManifestSize {
		return nil, bundleErr("header: manifest length %d is outside [1, %d]", mlen, MaxManifestSize)
	}
	if slen := binary.LittleEndian.Uint32(hdr[12:]); slen != ed25519.SignatureSize {
		return nil, bundleErr("header: signature length %d (want %d)", slen, ed25519.SignatureSize)
	}
	mb := make([]byte, mlen)
	if _, err := io.ReadFull(br.r, mb); err != nil {
		return nil, bundleErr("manifest: %v (the header gives a %d-byte manifest)", truncated(err), mlen)
	}
	sig := make([]byte, ed25519.SignatureSize)
	if _, err := io.ReadFull(br.r, sig); err != nil {
		return nil, bundleErr("signature: %v (the header gives a %d-byte manifest)", truncated(err), mlen)
	}
	if !br.verify(mb, sig) {
		return nil, bundleErr("signature: does not match the manifest (%d bytes): the header, manifest or signature was changed, or the bundle was signed with a different key", mlen)
	}
	m, err := DecodeManifest(mb)
	if err != nil {
		return nil, bundleErr("%v", err)
	}
	return &Verified{Manifest: m, ManifestBytes: mb, Signature: sig}, nil
}

// files streams each file, in manifest order, to fn, then checks its size
// and hash; fn must consume r to its end (a short read is reported as
// truncation). After the last file the stream must end.
func (br *reader) files(v *Verified, fn func(f File, r io.Reader) error) error {
	for _, f := range v.Manifest.Files {
		h := sha256.New()
		lr := &io.LimitedReader{R: br.r, N: f.Size}
		if err := fn(f, io.TeeReader(lr, h)); err != nil {
			return err
		}
		if lr.N != 0 {
			// fn stopped early or the stream ended: drain to tell which.
			if _, err := io.Copy(h, lr); err != nil {
				return bundleErr("%s: %v", f.Path, err)
			}
			if lr.N != 0 {
				return bundleErr("%s: truncated: %d of %d bytes present", f.Path, f.Size-lr.N, f.Size)
			}
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
			return bundleErr("%s: sha256 mismatch: manifest %s, content %s", f.Path, f.SHA256, got)
		}
	}
	var one [1]byte
	if n, _ := io.ReadFull(br.r, one[:]); n != 0 {
		return bundleErr("trailing data after the last file")
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("truncated")
	}
	return err
}

// readBundle reads a whole bundle, handing each file to fn.
func readBundle(r io.Reader, verify func(manifest, sig []byte) bool, fn func(f File, r io.Reader) error) (*Verified, error) {
	br := &reader{r: r, verify: verify}
	v, err := br.header()
	if err != nil {
		return nil, err
	}
	if err := br.files(v, fn); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify checks a bundle file end to end: its signature against pub, then
// every file's size and SHA-256. Errors name the file and the part that
// failed.
func Verify(path string, pub ed25519.PublicKey) (*Verified, error) {
	return verifyFile(path, pub, func(File, io.Reader) error { return nil })
}

// verifyFile opens path and reads it as a bundle, handing each file to fn.
func verifyFile(path string, pub ed25519.PublicKey, fn func(f File, r io.Reader) error) (*Verified, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, err := readBundle(bufio.NewReaderSize(f, 1<<18), verifyWith(pub), fn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
