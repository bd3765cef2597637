package configfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzRead reads mutated run configs as .json and .yaml files:
// ReadConfig must fail with an error naming the file or return a config;
// a config that validates must come back unchanged from the JSON that
// Build writes into a release.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"camera": "cmd:rpicam-vid -o -", "threads": 2, "threshold": 0.7, "gpio": [{"pin": "GPIO17", "label": "cat"}]}`))
	f.Add([]byte("camera: /dev/video0\nthreshold: 0.5\ngpio:\n  - pin: GPIO27\n    label: dog\n"))
	f.Add([]byte("camera: 0\nspeed: 3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		for _, ext := range []string{".json", ".yaml"} {
			path := filepath.Join(dir, "run"+ext)
			require.NoError(t, os.WriteFile(path, b, 0o644))
			c, err := Read(path)
			if err != nil {
				require.True(t, strings.HasPrefix(err.Error(), path+": "), "error does not name the file: %v", err)
				continue
			}
			var labels []string
			for _, g := range c.GPIO {
				labels = append(labels, g.Label)
			}
			if c.Validate(labels) != nil {
				continue
			}
			out, err := json.MarshalIndent(c, "", "  ")
			require.NoError(t, err)
			back := filepath.Join(dir, "back.json")
			require.NoError(t, os.WriteFile(back, out, 0o644))
			again, err := Read(back)
			require.NoError(t, err, "reading back:\n%s", out)
			require.Equal(t, c, again)
		}
	})
}
