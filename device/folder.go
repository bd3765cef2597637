package device

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // decoders for folder images, as edgecnn infer reads them
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "golang.org/x/image/bmp"
)

// folderCamera reads the images of a folder tree in sorted path order.
type folderCamera struct {
	dir   string
	files []string
	next  int
	buf   []byte
	rd    bytes.Reader
	// closed is set by Close, which may run while Read is in progress.
	closed atomic.Bool
}

// imageExts are the file extensions a folder source reads.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true}

// OpenFolder opens a folder of JPEG, PNG, GIF and BMP images (subfolders included) as
// a bounded camera that returns them in sorted path order, then io.EOF.
func OpenFolder(dir string) (Camera, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && imageExts[strings.ToLower(filepath.Ext(path))] {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("camera folder %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("camera folder %s: no .jpg, .jpeg, .png, .gif or .bmp images", dir)
	}
	return &folderCamera{dir: dir, files: files}, nil
}

func (c *folderCamera) Name() string  { return "folder " + c.dir }
func (c *folderCamera) Bounded() bool { return true }
func (c *folderCamera) Close() error  { c.closed.Store(true); return nil }

// Read decodes the next image into f. A file that cannot be read or decoded
// is an error naming the file.
func (c *folderCamera) Read(f *Frame) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.next >= len(c.files) {
		return io.EOF
	}
	path := c.files[c.next]
	c.next++
	if err := c.load(path); err != nil {
		return fmt.Errorf("camera folder: %s: %w", path, err)
	}
	c.rd.Reset(c.buf)
	img, _, err := image.Decode(&c.rd)
	if err != nil {
		return fmt.Errorf("camera folder: %s: %w", path, err)
	}
	imageToFrame(f, img)
	f.File = path
	f.Time = time.Now()
	return nil
}

// load reads a whole file into the reused buffer.
func (c *folderCamera) load(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	n := int(st.Size())
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	_, err = io.ReadFull(fh, c.buf)
	return err
}
