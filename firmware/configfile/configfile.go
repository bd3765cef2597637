// Package configfile reads a firmware run configuration from a JSON or YAML
// file. It is apart from package firmware so that the device binary, which
// installs bundles (whose config.json firmware writes), does not link a YAML
// parser: only the workstation's "firmware build --config" reads YAML.
package configfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/edgecnn/edgecnn/firmware"
)

// Read reads a run configuration from a .json, .yaml or .yml file;
// unknown fields are errors. It does not validate against a model.
func Read(path string) (firmware.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return firmware.Config{}, err
	}
	var c firmware.Config
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&c)
	default:
		return firmware.Config{}, fmt.Errorf("%s: config must be .json, .yaml or .yml", path)
	}
	if err != nil {
		return firmware.Config{}, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}
