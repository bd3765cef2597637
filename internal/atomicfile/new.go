package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteNew atomically creates path with whatever fill writes and permission
// perm, and never replaces an existing file: if path exists (already, or by
// the time the data is complete) it returns an error matching
// fs.ErrExist and leaves that file alone. The complete file appears at once
// (a hard link from a synced temporary file), so a reader never sees it
// half written. On failure nothing is left behind.
func WriteNew(path string, perm os.FileMode, fill func(w io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write %s: %w", path, fs.ErrExist)
	}
	name, err := writeTemp(path, perm, fill)
	if err != nil {
		return err
	}
	defer os.Remove(name) // the link keeps the data
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}
