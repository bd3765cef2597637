// Package dataset loads folders of labelled images the way Keras's
// image_dataset_from_directory does and serves them as float32 batches.
//
// A directory holds one subfolder per class; labels are the indices of the
// sorted subfolder names (0/1 for two classes). Images (.jpg, .jpeg, .png,
// .gif, .bmp, searched recursively, in sorted order) are decoded once, in
// parallel, resized with the preprocess package (the same code the device
// runs) and cached in memory as uint8 RGB. Batches shuffle and augment on
// the fly, seeded, without allocating per batch.
package dataset

import (
	"errors"
	"fmt"
	"os"

	"github.com/edgecnn/edgecnn/preprocess"
)

// Subset names for Options.Subset.
const (
	Training   = "training"
	Validation = "validation"
)

// Options control FromDirectory.
type Options struct {
	Height, Width   int              // required: every image is resized to this
	Interpolation   string           // preprocess.Bilinear (default) or preprocess.Nearest
	ValidationSplit float64          // fraction held out, with Subset Training or Validation; 0 = no split
	Subset          string           // Training or Validation (only with ValidationSplit)
	Seed            int64            // seeds the split
	Strict          bool             // an undecodable file is an error instead of a warning
	Workers         int              // parallel decoders; 0 = GOMAXPROCS
	Warn            func(msg string) // warnings (skipped files); nil = write to os.Stderr
}

// Dataset is a set of decoded, resized images with their labels.
type Dataset struct {
	Dir           string
	ClassNames    []string // sorted subfolder names
	Height, Width int
	Pixels        []uint8  // N*H*W*3 RGB, already resized
	Labels        []int32  // class index per image
	Files         []string // path per image
	Skipped       int      // undecodable files skipped
}

// FromDirectory loads every image under dir's class subfolders (or the
// requested subset of them). A missing or empty dir, a class folder without
// images, or a single class is an error naming the folder. A file that does
// not decode is skipped with a warning naming it (counted in Skipped), or is
// an error when opt.Strict is set.
func FromDirectory(dir string, opt Options) (*Dataset, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	classes, files, labels, err := scan(dir)
	if err != nil {
		return nil, err
	}
	files, labels = split(files, labels, opt.ValidationSplit, opt.Subset, opt.Seed)
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset %s: validation split %g leaves the %s subset empty", dir, opt.ValidationSplit, opt.Subset)
	}
	d := &Dataset{Dir: dir, ClassNames: classes, Height: opt.Height, Width: opt.Width}
	if err := d.decode(files, labels, opt); err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("dataset %s: no image could be decoded (%d skipped)", dir, d.Skipped)
	}
	return d, nil
}

func (o *Options) check() error {
	if o.Height <= 0 || o.Width <= 0 {
		return fmt.Errorf("image size %dx%d: height and width must be positive", o.Width, o.Height)
	}
	if !preprocess.ValidMethod(o.Interpolation) {
		return fmt.Errorf("unknown interpolation %q (want %q or %q)", o.Interpolation, preprocess.Bilinear, preprocess.Nearest)
	}
	if o.ValidationSplit < 0 || o.ValidationSplit >= 1 {
		return fmt.Errorf("validation split %g: must be in [0, 1)", o.ValidationSplit)
	}
	switch {
	case o.ValidationSplit > 0 && o.Subset != Training && o.Subset != Validation:
		return fmt.Errorf("validation split %g needs subset %q or %q, got %q", o.ValidationSplit, Training, Validation, o.Subset)
	case o.ValidationSplit == 0 && o.Subset != "":
		return errors.New("subset " + o.Subset + " needs a validation split > 0")
	}
	return nil
}

func (o *Options) warn(msg string) {
	if o.Warn != nil {
		o.Warn(msg)
		return
	}
	fmt.Fprintln(os.Stderr, "warning:", msg)
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// ImageSize is the number of bytes of one image: Height*Width*3.
func (d *Dataset) ImageSize() int { return d.Height * d.Width * 3 }

// Image returns image i as H*W*3 RGB bytes (aliasing d.Pixels).
func (d *Dataset) Image(i int) []uint8 {
	n := d.ImageSize()
	return d.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// ClassCounts returns the number of images of each class.
func (d *Dataset) ClassCounts() []int {
	counts := make([]int, len(d.ClassNames))
	for _, l := range d.Labels {
		counts[l]++
	}
	return counts
}
