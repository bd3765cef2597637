package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// File layout (little-endian):
//
//	offset 0   magic "ECNN"
//	       4   major version (uint16), 6: minor version (uint16)
//	       8   header length in bytes (uint32)
//	      12   flags (uint32, zero)
//	      16   total file length in bytes (uint64)
//	      24   header: JSON of the model and its tensor table
//	           padding to 64 bytes
//	           tensor data, each tensor starting on a 64-byte boundary
//	 len-4     CRC-32C (Castagnoli) of every byte before it
//
// A reader refuses an unknown major version; minor versions add fields only.
// Version 2 made the graph a DAG (Layer.Inputs, Add); this build still
// reads version 1 files, whose layers form a Sequential chain.
const (
	Magic        = "ECNN"
	MajorVersion = 2
	MinorVersion = 0
	// OldestMajorVersion is the oldest format version Decode reads.
	OldestMajorVersion = 1
	// Alignment of tensor data within the file.
	Alignment  = 64
	prefixSize = 24
	crcSize    = 4
	// MaxFileSize bounds what Decode accepts (1 GiB).
	MaxFileSize = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrFormat is wrapped by every error that comes from malformed bytes.
var ErrFormat = errors.New("not a valid .ecnn model")

type tensorEntry struct {
	Name   string `json:"name"`
	DType  DType  `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
}

type header struct {
	Model   *Model        `json:"model"`
	Tensors []tensorEntry `json:"tensors"`
}

func align(n int64) int64 { return (n + Alignment - 1) / Alignment * Alignment }

// Encode serialises m.
func Encode(m *Model) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	h := header{Model: m, Tensors: make([]tensorEntry, len(m.Tensors))}
	seen := map[string]bool{}
	for i, t := range m.Tensors {
		if seen[t.Name] {
			return nil, fmt.Errorf("model %q: duplicate tensor %q", m.Name, t.Name)
		}
		seen[t.Name] = true
		if t.DType.Size() == 0 || t.Elems()*t.DType.Size() != len(t.Data) {
			return nil, fmt.Errorf("model %q: tensor %q: %d bytes for %s%v", m.Name, t.Name, len(t.Data), t.DType, t.Shape)
		}
		h.Tensors[i] = tensorEntry{Name: t.Name, DType: t.DType, Shape: t.Shape, Length: int64(len(t.Data))}
	}
	// Offsets depend on the header's length, which depends on the offsets'
	// digits: iterate until stable (two or three rounds).
	var hdr []byte
	for range 8 {
		var err error
		if hdr, err = json.Marshal(h); err != nil {
			return nil, err
		}
		off := align(prefixSize + int64(len(hdr)))
		changed := false
		for i := range h.Tensors {
			if h.Tensors[i].Offset != off {
				h.Tensors[i].Offset = off
				changed = true
			}
			off = align(off + h.Tensors[i].Length)
		}
		if !changed {
			break
		}
	}
	end := align(prefixSize + int64(len(hdr)))
	if n := len(h.Tensors); n > 0 {
		end = h.Tensors[n-1].Offset + h.Tensors[n-1].Length
	}
	total := end + crcSize
	buf := make([]byte, total)
	copy(buf, Magic)
	binary.LittleEndian.PutUint16(buf[4:], MajorVersion)
	binary.LittleEndian.PutUint16(buf[6:], MinorVersion)
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(hdr)))
	binary.LittleEndian.PutUint64(buf[16:], uint64(total))
	copy(buf[prefixSize:], hdr)
	for i, t := range m.Tensors {
		copy(buf[h.Tensors[i].Offset:], t.Data)
	}
	binary.LittleEndian.PutUint32(buf[end:], crc32.Checksum(buf[:end], castagnoli))
	return buf, nil
}

func formatErr(f string, a ...any) error {
	return fmt.Errorf("%w: "+f, append([]any{ErrFormat}, a...)...)
}

// Decode parses and checks a model. Tensor data aliases b, which must not
// be modified afterwards.
func Decode(b []byte) (*Model, error) {
	if len(b) < prefixSize+crcSize {
		return nil, formatErr("file is %d bytes, too short for a header", len(b))
	}
	if string(b[:4]) != Magic {
		return nil, formatErr("bad magic %q (want %q)", b[:4], Magic)
	}
	major, minor := binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])
	if major < OldestMajorVersion || major > MajorVersion {
		return nil, formatErr("format version %d.%d is not supported (this build reads %d.x to %d.x)", major, minor, OldestMajorVersion, MajorVersion)
	}
	total := binary.LittleEndian.Uint64(b[16:])
	if total != uint64(len(b)) {
		if total > uint64(len(b)) {
			return nil, formatErr("truncated: file is %d bytes, header says %d", len(b), total)
		}
		return nil, formatErr("file is %d bytes, header says %d (trailing data)", len(b), total)
	}
	end := len(b) - crcSize
	if want, got := binary.LittleEndian.Uint32(b[end:]), crc32.Checksum(b[:end], castagnoli); want != got {
		return nil, formatErr("checksum mismatch (stored %08x, computed %08x): the file is corrupt", want, got)
	}
	hlen := uint64(binary.LittleEndian.Uint32(b[8:]))
	if prefixSize+hlen > uint64(end) {
		return nil, formatErr("header length %d runs past the end of the file", hlen)
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(b[prefixSize : prefixSize+hlen]))
	if err := dec.Decode(&h); err != nil {
		return nil, formatErr("header: %v", err)
	}
	if h.Model == nil {
		return nil, formatErr("header has no model")
	}
	m := h.Model
	if major == 1 {
		for i, l := range m.Layers {
			if len(l.Inputs) > 0 || l.Type == Add {
				return nil, formatErr("layer %d (%s): a format 1 file describes a Sequential model, but the layer names inputs", i, l.Name)
			}
		}
	}
	seen := map[string]bool{}
	dataStart := int64(prefixSize + hlen)
	for _, e := range h.Tensors {
		if seen[e.Name] {
			return nil, formatErr("duplicate tensor %q", e.Name)
		}
		seen[e.Name] = true
		size := int64(e.DType.Size())
		if size == 0 {
			return nil, formatErr("tensor %q: unknown dtype %q", e.Name, e.DType)
		}
		n := int64(1)
		for _, d := range e.Shape {
			if d < 0 || d > MaxFileSize {
				return nil, formatErr("tensor %q: bad shape %v", e.Name, e.Shape)
			}
			n *= int64(d)
			if n > MaxFileSize {
				return nil, formatErr("tensor %q: shape %v is too large", e.Name, e.Shape)
			}
		}
		if n*size != e.Length {
			return nil, formatErr("tensor %q: length %d does not match %s%v", e.Name, e.Length, e.DType, e.Shape)
		}
		if e.Offset%Alignment != 0 || e.Offset < dataStart || e.Offset > int64(end) || e.Length > int64(end)-e.Offset {
			return nil, formatErr("tensor %q: offset %d length %d outside the data section", e.Name, e.Offset, e.Length)
		}
		m.Tensors = append(m.Tensors, &Tensor{Name: e.Name, DType: e.DType, Shape: e.Shape, Data: b[e.Offset : e.Offset+e.Length : e.Offset+e.Length]})
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return m, nil
}

// Load reads and checks the model at path. Errors name the file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w: %d bytes is larger than the %d-byte limit", path, ErrFormat, st.Size(), MaxFileSize)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Save writes m to path atomically (temporary file, sync, rename).
func Save(path string, m *Model) error {
	b, err := Encode(m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}
