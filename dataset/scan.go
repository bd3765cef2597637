package dataset

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// scan lists the class subfolders of dir (sorted) and their image files
// (sorted, searched recursively), concatenated class by class.
func scan(dir string) (classes, files []string, labels []int32, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	for _, e := range entries {
		if isDir(dir, e) && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	switch len(classes) {
	case 0:
		return nil, nil, nil, fmt.Errorf("dataset %s: no class subfolders (want one folder of images per class)", dir)
	case 1:
		return nil, nil, nil, fmt.Errorf("dataset %s: only one class subfolder (%s); need at least two", dir, classes[0])
	}
	for i, class := range classes {
		images, err := listImages(filepath.Join(dir, class))
		if err != nil {
			return nil, nil, nil, err
		}
		for _, f := range images {
			files = append(files, f)
			labels = append(labels, int32(i))
		}
	}
	return classes, files, labels, nil
}

// isDir reports whether entry e of dir is a directory, following a symlink.
func isDir(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

// listImages returns the image files under classDir in sorted order.
func listImages(classDir string) ([]string, error) {
	images, err := imagefile.List(classDir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("dataset: class folder %s has no images (%s)", classDir, strings.Join(imagefile.Extensions, ", "))
	}
	return images, nil
}

// split returns the training or validation part of files (and their
// labels): the files are shuffled with seed, the last int(fraction*N) are
// the validation subset and the rest the training subset, as in Keras (whose
// shuffle is NumPy's, so the same seed picks other files there). Both keep
// the sorted order. With fraction 0 everything is returned.
func split(files []string, labels []int32, fraction float64, subset string, seed int64) ([]string, []int32) {
	if fraction == 0 {
		return files, labels
	}
	n := len(files)
	perm := rand.New(rand.NewPCG(uint64(seed), splitStream)).Perm(n)
	nval := int(fraction * float64(n))
	chosen := make([]bool, n)
	pick := perm[:n-nval]
	if subset == Validation {
		pick = perm[n-nval:]
	}
	for _, i := range pick {
		chosen[i] = true
	}
	var f []string
	var l []int32
	for i, ok := range chosen {
		if ok {
			f = append(f, files[i])
			l = append(l, labels[i])
		}
	}
	return f, l
}

// Streams of the PCG generator, so the split, shuffles, augmentation and
// subsampling draw independent numbers from one user seed.
const (
	splitStream     = 0x5eed_0001
	shuffleStream   = 0x5eed_0002
	augmentStream   = 0x5eed_0003
	subsampleStream = 0x5eed_0004
)
