// Package imagefile finds and decodes the image files edgecnn reads: JPEG,
// PNG, GIF and BMP, the types Keras's image_dataset_from_directory takes.
// The dataset loader, the CLI and the device's folder camera all use it, so
// a folder yields the same files in the same order everywhere.
package imagefile

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register the decoders image.Decode uses
	_ "image/jpeg"
	_ "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

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

// Decode reads and decodes the image file path. Every error names the file,
// and an image without pixels is an error.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			err = errors.New("not a JPEG, PNG, GIF or BMP image")
		}
		return nil, fmt.Errorf("%s: cannot decode: %w", path, err)
	}
	if img.Bounds().Empty() {
		return nil, fmt.Errorf("%s: empty image", path)
	}
	return img, nil
}
