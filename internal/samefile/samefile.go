// Package samefile stops a command from writing its output over one of its
// inputs. Files are compared by identity (device and inode, through
// symlinks and relative paths), not by the strings that name them.
package samefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Input is a file a command reads, named by the flag that gave it.
type Input struct {
	Flag string // e.g. "--model"
	Path string // "" when the flag was not given
}

// CheckOutput refuses an output that is the same file as one of the
// inputs. An output or input that does not exist yet cannot clash; any
// other error reading them is returned.
func CheckOutput(outFlag, out string, inputs ...Input) error {
	ost, err := os.Stat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", outFlag, out, err)
	}
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		ist, err := os.Stat(in.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", in.Flag, in.Path, err)
		}
		if os.SameFile(ost, ist) {
			return fmt.Errorf("%s %s is the same file as %s %s: refusing to overwrite an input; choose another output", outFlag, out, in.Flag, in.Path)
		}
	}
	return nil
}

// Inside reports whether path is the folder dir or lies somewhere below it.
// path need not exist: its nearest existing ancestor is compared.
func Inside(path, dir string) (bool, error) {
	dst, err := os.Stat(dir)
	if err != nil {
		return false, err
	}
	p, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	for {
		st, err := os.Stat(p)
		if err == nil && os.SameFile(st, dst) {
			return true, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return false, nil
		}
		p = parent
	}
}
