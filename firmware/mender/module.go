package mender

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
)

// ModuleScript is the update module (a POSIX shell script) that installs
// an artefact's bundle with edgecnn firmware install and undoes a failed
// deployment with edgecnn firmware rollback.
//
//go:embed update-module/edgecnn
var ModuleScript []byte

// ModuleDir is where the Mender client looks for update modules.
const ModuleDir = "/usr/share/mender/modules/v3"

// InstallModule writes ModuleScript to path (mode 0755, atomically),
// creating its folder. A file already there with the same content is left
// alone (installed reports false); a different one is replaced only with
// force.
func InstallModule(path string, force bool) (installed bool, err error) {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, ModuleScript):
		return false, os.Chmod(path, 0o755)
	case err == nil && !force:
		return false, fmt.Errorf("%s already exists and differs from this edgecnn's update module (use --force to replace it)", path)
	case err != nil && !os.IsNotExist(err):
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, atomicfile.WriteFile(path, ModuleScript, 0o755)
}
