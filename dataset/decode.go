package dataset

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/edgecnn/edgecnn/internal/imagefile"
	"github.com/edgecnn/edgecnn/preprocess"
)

// decode reads, decodes and resizes files into d in parallel. Each image
// goes to its own slot, so the result does not depend on scheduling; files
// that fail are then dropped in order.
func (d *Dataset) decode(files []string, labels []int32, opt Options) error {
	n := len(files)
	size := d.ImageSize()
	pixels := make([]uint8, n*size)
	errs := make([]error, n)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(n, 1))
	var next atomic.Int64 // the next file to decode
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				scratch, errs[k] = loadImage(pixels[k*size:(k+1)*size], d.Width, d.Height, files[k], opt.Interpolation, scratch)
			}
		}()
	}
	wg.Wait()

	d.Pixels = pixels[:0]
	for k, err := range errs {
		if err != nil {
			if opt.Strict {
				return err
			}
			opt.warn(fmt.Sprintf("skipping %v", err))
			d.Skipped++
			continue
		}
		d.Pixels = append(d.Pixels, pixels[k*size:(k+1)*size]...)
		d.Files = append(d.Files, files[k])
		d.Labels = append(d.Labels, labels[k])
	}
	return nil
}

// loadImage decodes file and resizes it into dst, reusing scratch (grown as
// needed and returned) for the full-size RGB copy.
func loadImage(dst []byte, w, h int, file, method string, scratch []byte) ([]byte, error) {
	img, err := imagefile.Decode(file)
	if err != nil {
		return scratch, err
	}
	b := img.Bounds()
	if need := b.Dx() * b.Dy() * 3; cap(scratch) < need {
		scratch = make([]byte, need)
	}
	preprocess.ResizeImage(dst, w, h, img, method, nil, scratch)
	return scratch, nil
}
