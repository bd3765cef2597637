// Package capture saves camera frames as training images: resized exactly
// as the model's input is (the preprocess package, with the model's size
// and interpolation), encoded as JPEG, written atomically into DIR/<label>/
// without ever replacing a file, within a disk quota. edgecnn capture saves
// a frame on a key press, a GPIO button, an interval or a button on the
// live page (Loop and the trigger sources); edgecnn run --save-uncertain
// saves the frames the model was unsure of (Uncertain).
package capture

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgecnn/edgecnn/device"
	"github.com/edgecnn/edgecnn/device/frameimg"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/preprocess"
)

// Options configure a Saver.
type Options struct {
	// Dir receives one folder per label.
	Dir string
	// Width, Height and Interpolation are the model's input preprocessing:
	// frames are resized to this size with this method (preprocess.Bilinear
	// when empty) before they are saved.
	Width, Height int
	Interpolation string
	// Quality is the JPEG quality, 1 to 100; 95 when zero.
	Quality int
	// Quota caps the bytes of all files under Dir, those already there
	// included (0: no cap).
	Quota int64
}

// ErrQuota is returned (wrapped) by Save when a frame would take Dir over
// its quota.
var ErrQuota = errors.New("disk quota reached")

// Saver writes frames as training images. It is safe for concurrent use.
type Saver struct {
	opt Options

	mu      sync.Mutex
	used    int64
	resized []byte
	enc     *frameimg.Encoder
}

// NewSaver checks opt, creates Dir and measures what it holds already.
func NewSaver(opt Options) (*Saver, error) {
	if opt.Quality == 0 {
		opt.Quality = 95
	}
	if opt.Width <= 0 || opt.Height <= 0 {
		return nil, fmt.Errorf("capture: image size %dx%d must be positive", opt.Width, opt.Height)
	}
	if !preprocess.ValidMethod(opt.Interpolation) {
		return nil, fmt.Errorf("capture: unknown interpolation %q (bilinear or nearest)", opt.Interpolation)
	}
	if opt.Quota < 0 {
		return nil, fmt.Errorf("capture: quota %d must not be negative", opt.Quota)
	}
	enc, err := frameimg.NewEncoder(opt.Quality)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	used, err := dirBytes(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("capture: %s: %w", opt.Dir, err)
	}
	return &Saver{opt: opt, used: used, enc: enc, resized: make([]byte, opt.Width*opt.Height*3)}, nil
}

// dirBytes sums the sizes of the regular files under dir.
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

// Used is the number of bytes under Dir, as counted for the quota.
func (s *Saver) Used() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// CheckLabel reports whether label can name a class folder.
func CheckLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label")
	case label == "." || label == ".." || strings.HasPrefix(label, "."):
		return fmt.Errorf("label %q: a class folder must not start with a dot", label)
	case strings.ContainsAny(label, `/\`+"\x00"):
		return fmt.Errorf("label %q: a class folder name cannot contain / or \\", label)
	}
	return nil
}

// Save resizes f to the model's input size and writes it as a JPEG into
// Dir/label/, named after the frame's time (and note, when given, such as
// "p0.42"); a name already taken gets a -2, -3, ... suffix. It returns the
// path written.
func (s *Saver) Save(f *device.Frame, label, note string) (string, error) {
	if err := CheckLabel(label); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	if f.Width <= 0 || f.Height <= 0 || len(f.Pix) < f.Width*f.Height*3 {
		return "", fmt.Errorf("capture: frame %d: no pixels", f.Seq)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, h := s.opt.Width, s.opt.Height
	preprocess.ResizeRGB(s.resized, w, h, f.Pix, f.Width, f.Height, f.Width*3, s.opt.Interpolation, nil)
	data, err := s.enc.Encode(s.resized, w, h)
	if err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	if s.opt.Quota > 0 && s.used+int64(len(data)) > s.opt.Quota {
		return "", fmt.Errorf("capture: %s holds %d bytes, quota %d: %w", s.opt.Dir, s.used, s.opt.Quota, ErrQuota)
	}
	dir := filepath.Join(s.opt.Dir, label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("capture: %w", err)
	}
	base := fileStem(f.Time, note)
	for n := 1; ; n++ {
		name := base
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		path := filepath.Join(dir, name+".jpg")
		err := atomicfile.WriteNew(path, 0o644, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("capture: %w", err)
		}
		s.used += int64(len(data))
		return path, nil
	}
}

// fileStem names a frame by its capture time (now when unknown), in UTC
// with milliseconds, so names sort in time order: 20261128-101502-123.
func fileStem(t time.Time, note string) string {
	if t.IsZero() {
		t = time.Now()
	}
	t = t.UTC()
	stem := t.Format("20060102-150405") + fmt.Sprintf("-%03d", t.Nanosecond()/1e6)
	if note != "" {
		stem += "-" + note
	}
	return stem
}
