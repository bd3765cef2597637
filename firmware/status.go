package firmware

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Release is one installed release.
type Release struct {
	Version  string    `json:"version"`
	Path     string    `json:"path"`
	Manifest *Manifest `json:"manifest,omitempty"`
	Error    string    `json:"error,omitempty"` // why the manifest could not be read
}

// Status is the state of an install root.
type Status struct {
	Root     string    `json:"root"`
	Current  string    `json:"current"`  // version, "" if none
	Previous string    `json:"previous"` // version, "" if none
	Releases []Release `json:"releases"` // oldest first
}

// ReadStatus reports the releases under root and where current and previous
// point.
func ReadStatus(root string) (*Status, error) {
	st := &Status{Root: root}
	var err error
	if st.Current, err = readLink(root, CurrentLink); err != nil {
		return nil, err
	}
	if st.Previous, err = readLink(root, PreviousLink); err != nil {
		return nil, err
	}
	rel := filepath.Join(root, ReleasesDir)
	entries, err := os.ReadDir(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no releases folder: nothing was installed here", root)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		r := Release{Version: e.Name(), Path: filepath.Join(rel, e.Name())}
		if b, err := os.ReadFile(filepath.Join(r.Path, ManifestFile)); err != nil {
			r.Error = err.Error()
		} else if r.Manifest, err = DecodeManifest(b); err != nil {
			r.Error = err.Error()
		}
		st.Releases = append(st.Releases, r)
	}
	slices.SortFunc(st.Releases, func(a, b Release) int {
		if a.Manifest != nil && b.Manifest != nil {
			if c := a.Manifest.Created.Compare(b.Manifest.Created); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Version, b.Version)
	})
	return st, nil
}

// Release returns the installed release of version v.
func (s *Status) Release(v string) (Release, bool) {
	for _, r := range s.Releases {
		if r.Version == v {
			return r, true
		}
	}
	return Release{}, false
}

// Rollback makes previous current and current previous, in one atomic
// exchange. It refuses when previous is missing or its release folder is
// not intact (manifest readable, every file present with its recorded size).
func Rollback(root string) (*Status, error) {
	unlock, err := lockRoot(root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := ReadStatus(root)
	if err != nil {
		return nil, err
	}
	if st.Current == "" || st.Previous == "" {
		return nil, fmt.Errorf("%s: nothing to roll back to (current %q, previous %q)", root, st.Current, st.Previous)
	}
	if st.Current == st.Previous {
		return nil, fmt.Errorf("%s: current and previous are both release %s", root, st.Current)
	}
	prev, ok := st.Release(st.Previous)
	if !ok || prev.Manifest == nil {
		return nil, fmt.Errorf("%s: previous release %s is missing or damaged: %s", root, st.Previous, prev.Error)
	}
	if err := checkFilesPresent(prev); err != nil {
		return nil, err
	}
	if err := swapLinks(root, st.Current, st.Previous); err != nil {
		return nil, err
	}
	st.Current, st.Previous = st.Previous, st.Current
	return st, nil
}

// checkFilesPresent checks that every file in r's manifest is in its folder
// with the recorded size.
func checkFilesPresent(r Release) error {
	for _, f := range r.Manifest.Files {
		fi, err := os.Lstat(filepath.Join(r.Path, f.Path))
		if err != nil {
			return fmt.Errorf("release %s: %w", r.Version, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != f.Size {
			return fmt.Errorf("release %s: %s is not the %d-byte file its manifest records", r.Version, f.Path, f.Size)
		}
	}
	return nil
}
