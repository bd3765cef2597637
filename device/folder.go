package device

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/edgecnn/edgecnn/internal/imagefile"
)

// folderCamera reads the images of a folder tree in sorted path order.
type folderCamera struct {
	dir   string
	files []string
	next  int
	// closed is set by Close, which may run while Read is in progress.
	closed atomic.Bool
}

// OpenFolder opens a folder of JPEG, PNG, GIF and BMP images (subfolders included) as
// a bounded camera that returns them in sorted path order, then io.EOF.
func OpenFolder(dir string) (Camera, error) {
	files, err := imagefile.List(dir)
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
// is a *SkipError naming the file: the next Read goes on with the next one.
func (c *folderCamera) Read(f *Frame) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.next >= len(c.files) {
		return io.EOF
	}
	path := c.files[c.next]
	c.next++
	img, err := imagefile.Decode(path)
	if err != nil {
		return &SkipError{Err: err}
	}
	imageToFrame(f, img)
	f.File = path
	f.Time = time.Now()
	return nil
}
