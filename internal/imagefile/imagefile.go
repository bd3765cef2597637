// Package imagefile finds and decodes the image files edgecnn reads: JPEG,
// PNG, GIF and BMP, the types Keras's image_dataset_from_directory takes.
// The dataset loader, the CLI and the device's folder camera all use it, so
// a folder yields the same files in the same order everywhere.
//
// It also holds the one limit on image size: Decode reads an image's
// dimensions from its header and refuses one with more pixels than
// MaxPixels before decoding it, and camera sources check their frame sizes
// with CheckSize, so a small file that claims a huge size cannot exhaust
// memory.
package imagefile

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register the decoders image.Decode uses
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	_ "golang.org/x/image/bmp"
)

// Extensions are the file name extensions of the images read, in lower
// case; other files (notes, .DS_Store) are ignored, as Keras ignores them.
var Extensions = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp"}

// IsImage reports whether name ends in one of Extensions, in any case.
func IsImage(name string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(name)))
}

// List returns the image files under dir, subfolders included, sorted by
// path. dir may be a symbolic link to a folder; links further down are not
// followed. A folder without images gives an empty list, not an error.
func List(dir string) ([]string, error) {
	root := dir
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator) // walk the folder the link names, under the link's name
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsImage(path) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// DefaultMaxPixels is the default of MaxPixels: 64 Mpixel, for example
// 8192x8192.
const DefaultMaxPixels = 64 << 20

var maxPixels atomic.Int64

func init() { maxPixels.Store(DefaultMaxPixels) }

// MaxPixels is the largest width*height an image file or camera frame may
// have (edgecnn --max-pixels).
func MaxPixels() int64 { return maxPixels.Load() }

// SetMaxPixels sets MaxPixels for the whole process and returns the previous
// limit. n must be positive.
func SetMaxPixels(n int64) (previous int64, err error) {
	if n <= 0 {
		return MaxPixels(), fmt.Errorf("pixel limit %d: must be positive", n)
	}
	return maxPixels.Swap(n), nil
}

// ErrTooLarge is the error (wrapped) for an image or frame over MaxPixels.
var ErrTooLarge = errors.New("too many pixels")

// CheckSize returns an error wrapping ErrTooLarge when a width x height
// image has more than MaxPixels pixels, and an error for a negative size.
func CheckSize(width, height int) error {
	if width < 0 || height < 0 {
		return fmt.Errorf("invalid size %dx%d", width, height)
	}
	limit := MaxPixels()
	if n := int64(width) * int64(height); n > limit {
		return fmt.Errorf("%dx%d is %s pixels: %w (the limit is %s, --max-pixels)", width, height, mega(n), ErrTooLarge, mega(limit))
	}
	return nil
}

// mega formats a pixel count in Mpixel (2^20 pixels) when it is large.
func mega(n int64) string {
	if n < 1<<20 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
}

// Decode reads and decodes the image file path. Every error names the file;
// an image without pixels is an error, and so is one whose header claims
// more than MaxPixels pixels, which is refused before decoding.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, decodeError(path, err)
	}
	if err := CheckSize(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("%s: image %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, decodeError(path, err)
	}
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("%s: empty image", path)
	}
	return img, nil
}

// decodeError names the file and says what it is not.
func decodeError(path string, err error) error {
	if errors.Is(err, image.ErrFormat) {
		err = errors.New("not a JPEG, PNG, GIF or BMP image")
	}
	return fmt.Errorf("%s: cannot decode: %w", path, err)
}
