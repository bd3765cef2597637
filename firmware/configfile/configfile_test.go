package configfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/firmware"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	labels := []string{"Car", "Truck"}
	c, err := Read(write("a.yaml", "camera: /dev/video0\nthreads: 4\nthreshold: 0.8\ngpio:\n  - {pin: GPIO17, label: Truck}\n"))
	require.NoError(t, err)
	require.Equal(t, firmware.Config{Camera: "/dev/video0", Threads: 4, Threshold: 0.8, GPIO: []firmware.GPIORule{{Pin: "GPIO17", Label: "Truck"}}}, c)
	require.NoError(t, c.Validate(labels))

	j, err := Read(write("a.json", `{"camera":"/dev/video0","threads":4,"threshold":0.8,"gpio":[{"pin":"GPIO17","label":"Truck"}]}`))
	require.NoError(t, err)
	require.Equal(t, c, j)

	_, err = Read(write("b.yaml", "camera: 0\ntreshold: 0.8\n"))
	require.ErrorContains(t, err, "treshold")
	_, err = Read(write("b.json", `{"camera":"0","gpios":[]}`))
	require.ErrorContains(t, err, `unknown field "gpios"`)
	_, err = Read(write("c.toml", ""))
	require.ErrorContains(t, err, ".json, .yaml or .yml")
}
