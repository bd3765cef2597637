package samefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ecnn"), filepath.Join(dir, "b.ecnn")
	write(t, a)
	write(t, b)
	link := filepath.Join(dir, "link.ecnn")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.ecnn")
	if err := os.Link(a, hard); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, c := range []struct {
		name, out string
		clash     bool
	}{
		{"same path", a, true},
		{"relative path", "a.ecnn", true},
		{"dot path", "./sub/../a.ecnn", true},
		{"symlink", link, true},
		{"hard link", hard, true},
		{"other file", b, false},
		{"new file", filepath.Join(dir, "new.ecnn"), false},
	} {
		if c.name == "dot path" {
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		err := CheckOutput("-o", c.out, Input{"--calib", ""}, Input{"--model", a}, Input{"--spec", filepath.Join(dir, "missing")})
		if c.clash && (err == nil || !strings.Contains(err.Error(), "same file as --model")) {
			t.Errorf("%s: err = %v, want a refusal naming --model", c.name, err)
		}
		if !c.clash && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestInside(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "Car"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alias")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		filepath.Join(data, "Car", "m.ecnn"):        true,
		filepath.Join(data, "new", "deep", "m.png"): true,
		filepath.Join(link, "Car", "m.ecnn"):        true,
		data:                                        true,
		filepath.Join(dir, "m.ecnn"):                false,
		filepath.Join(dir, "datax", "m.ecnn"):       false,
	} {
		got, err := Inside(path, data)
		if err != nil || got != want {
			t.Errorf("Inside(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
}
