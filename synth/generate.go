// Package synth draws a procedural car-versus-truck image set, so the whole
// pipeline (train, quantise, run) can be demonstrated without downloads.
//
// Cars are long low bodies with a cabin bump and two wheels; trucks are a
// tall cargo box with a separate cab and two or three wheels. Colours,
// position, scale, mirroring, the sky/ground background and sensor noise are
// random, seeded per image, so the same seed gives identical files.
package synth

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/preprocess"
)

// Split folder names written by Generate.
const (
	TrainDir = "train"
	ValidDir = "valid"
)

// markerFile marks a directory as written by Generate, which may then
// replace its train and valid folders; any other folder is left alone.
const markerFile = ".edgecnn-synth"

// Generate writes dir/train/{Car,Truck}/*.png and dir/valid/{Car,Truck}/*.png:
// size x size RGB images of procedurally drawn cars and trucks, seeded.
// Everything is written into a temporary folder inside dir and renamed into
// place, so a reader never sees a half-written set. Train and valid folders
// from an earlier Generate are replaced; any other existing train or valid
// folder is an error.
func Generate(dir string, trainPerClass, validPerClass, size int, seed int64) error {
	if trainPerClass < 1 || validPerClass < 1 {
		return fmt.Errorf("synth: need at least one image per class (train %d, valid %d)", trainPerClass, validPerClass)
	}
	if size < 8 || size > 1024 {
		return fmt.Errorf("synth: image size %d: must be in [8, 1024]", size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".gen-data-*")
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	defer os.RemoveAll(tmp)

	jobs := plan(tmp, trainPerClass, validPerClass)
	for _, j := range jobs {
		if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	if err := render(jobs, size, seed); err != nil {
		return err
	}
	marker := fmt.Sprintf("edgecnn gen-data: train %d, valid %d per class, size %d, seed %d\n", trainPerClass, validPerClass, size, seed)
	if err := atomicfile.WriteFile(filepath.Join(dir, markerFile), []byte(marker), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	for _, split := range []string{TrainDir, ValidDir} {
		dst := filepath.Join(dir, split)
		if _, err := os.Stat(dst); err == nil {
			if err := os.Rename(dst, filepath.Join(tmp, "old-"+split)); err != nil {
				return fmt.Errorf("synth: %w", err)
			}
		}
		if err := os.Rename(filepath.Join(tmp, split), dst); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	return atomicfile.SyncDir(dir)
}

// checkReplaceable refuses to replace train or valid folders that Generate
// did not write.
func checkReplaceable(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err == nil {
		return nil
	}
	for _, split := range []string{TrainDir, ValidDir} {
		p := filepath.Join(dir, split)
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("synth: %s already exists and was not made by gen-data; remove it or choose another folder", p)
		}
	}
	return nil
}

// job is one image to draw: where it goes, its class and its random stream.
type job struct {
	path   string
	class  string
	stream uint64
}

// plan lists every image. An image's stream depends only on its split, class
// and index, so it does not change with the counts asked for.
func plan(root string, trainPerClass, validPerClass int) []job {
	var jobs []job
	for s, split := range []struct {
		name string
		n    int
	}{{TrainDir, trainPerClass}, {ValidDir, validPerClass}} {
		for c, class := range ClassNames {
			for i := 0; i < split.n; i++ {
				jobs = append(jobs, job{
					path:   filepath.Join(root, split.name, class, fmt.Sprintf("%05d.png", i)),
					class:  class,
					stream: uint64(s)<<48 | uint64(c)<<40 | uint64(i),
				})
			}
		}
	}
	return jobs
}

// render draws and writes the jobs in parallel; each image's content
// depends only on (seed, its stream).
func render(jobs []job, size int, seed int64) error {
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPainter(size)
			for k := w; k < len(jobs) && errs[w] == nil; k += workers {
				errs[w] = p.write(jobs[k], seed)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// painter holds one worker's reusable buffers.
type painter struct {
	size   int
	canvas canvas // supersampled drawing surface
	img    *image.RGBA
	rgb    []byte
	buf    bytes.Buffer
	enc    png.Encoder
}

// supersample is the drawing resolution factor: shapes are drawn this much
// larger and area-averaged down, which antialiases their edges.
func supersample(size int) int {
	switch {
	case size <= 64:
		return 4
	case size <= 256:
		return 2
	}
	return 1
}

func newPainter(size int) *painter {
	k := supersample(size)
	return &painter{
		size:   size,
		canvas: canvas{w: size * k, h: size * k, pix: make([]byte, size*k*size*k*3)},
		img:    image.NewRGBA(image.Rect(0, 0, size, size)),
		rgb:    make([]byte, size*size*3),
		enc:    png.Encoder{CompressionLevel: png.BestSpeed},
	}
}

// write draws job's image and writes it as PNG.
func (p *painter) write(j job, seed int64) error {
	rng := rand.New(rand.NewPCG(uint64(seed), j.stream))
	drawScene(&p.canvas, j.class, rng)
	c := &p.canvas
	preprocess.ResizeRGB(p.rgb, p.size, p.size, c.pix, c.w, c.h, c.w*3, preprocess.Bilinear, nil)
	sigma := jitter(rng, 0, 6)
	for i, v := range p.rgb {
		n := float64(v) + rng.NormFloat64()*sigma
		p.img.Pix[i/3*4+i%3] = byte(min(max(n+0.5, 0), 255))
	}
	for i := 3; i < len(p.img.Pix); i += 4 {
		p.img.Pix[i] = 255
	}
	p.buf.Reset()
	if err := p.enc.Encode(&p.buf, p.img); err != nil {
		return fmt.Errorf("synth: %s: %w", j.path, err)
	}
	if err := os.WriteFile(j.path, p.buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
