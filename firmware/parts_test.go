package firmware

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "fleet.key")
	pub, err := GenerateKey(key, false)
	require.NoError(t, err)
	fi, err := os.Stat(key)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	priv, err := ReadPrivateKey(key)
	require.NoError(t, err)
	gotPub, err := ReadPublicKey(key + ".pub")
	require.NoError(t, err)
	require.Equal(t, pub, gotPub)
	require.Equal(t, pub, priv.Public())

	_, err = GenerateKey(key, false)
	require.ErrorContains(t, err, "already exists")
	after, err := ReadPrivateKey(key)
	require.NoError(t, err)
	require.Equal(t, priv, after, "refused keygen changed the key")

	pub2, err := GenerateKey(key, true)
	require.NoError(t, err)
	require.NotEqual(t, pub, pub2)
	fi, err = os.Stat(key)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	_, err = ReadPublicKey(key)
	require.ErrorContains(t, err, `"PRIVATE KEY" PEM block, want "PUBLIC KEY"`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk"), []byte("hello"), 0o644))
	_, err = ReadPrivateKey(filepath.Join(dir, "junk"))
	require.ErrorContains(t, err, "no PEM block")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 3, "temporary files left behind")
}

func TestParseTarget(t *testing.T) {
	for _, s := range Targets {
		tg, err := ParseTarget(s)
		require.NoError(t, err, s)
		require.Equal(t, s, tg.String())
	}
	arm7, _ := ParseTarget("linux/arm/v7")
	require.Equal(t, Target{GOOS: "linux", GOARCH: "arm", GOARM: "7"}, arm7)
	require.Contains(t, arm7.Env(), "GOARM=7")
	require.Contains(t, arm7.Env(), "CGO_ENABLED=0")
	for _, s := range []string{"linux/arm", "linux/arm/v5", "darwin/arm64", "linux/arm64/v8", "arm64", ""} {
		_, err := ParseTarget(s)
		require.Error(t, err, s)
	}
	arm6 := Target{GOOS: "linux", GOARCH: "arm", GOARM: "6"}
	require.True(t, arm6.RunsOn(arm7))
	require.False(t, arm7.RunsOn(arm6))
	require.False(t, Target{GOOS: "linux", GOARCH: "arm64"}.RunsOn(Target{GOOS: "linux", GOARCH: "amd64"}))
}

func TestConfigValidate(t *testing.T) {
	labels := []string{"Car", "Truck"}
	require.NoError(t, (&Config{Camera: "/dev/video0", Threads: 4, Threshold: 0.8, GPIO: []GPIORule{{Pin: "GPIO17", Label: "Truck"}}}).Validate(labels))
	bad := map[string]Config{
		"camera is empty":            {Threshold: 0.5},
		"threads 65":                 {Camera: "0", Threads: 65},
		"threshold 1.5":              {Camera: "0", Threshold: 1.5},
		`label "Bus" is not one`:     {Camera: "0", GPIO: []GPIORule{{Pin: "GPIO17", Label: "Bus"}}},
		"pin GPIO17 is used twice":   {Camera: "0", GPIO: []GPIORule{{Pin: "GPIO17", Label: "Car"}, {Pin: "GPIO17", Label: "Truck"}}},
		`pin "17; rm" is not a pin`:  {Camera: "0", GPIO: []GPIORule{{Pin: "17; rm", Label: "Car"}}},
		"camera \"0\\n\" has a cont": {Camera: "0\n"},
	}
	for want, c := range bad {
		require.ErrorContains(t, c.Validate(labels), want)
	}
}

func TestUnitQuoting(t *testing.T) {
	require.Equal(t, "/dev/video0", systemdQuote("/dev/video0"))
	require.Equal(t, `"cmd:rpicam-vid -o -"`, systemdQuote("cmd:rpicam-vid -o -"))
	require.Equal(t, `"a \"b\" c\\d"`, systemdQuote(`a "b" c\d`))
	require.Equal(t, "100%%", systemdQuote("100%"))
	require.Equal(t, "$$HOME", systemdQuote("$HOME"))
	u := Unit("/opt/edgecnn", "1.2.3", Config{Camera: "gst:libcamerasrc ! appsink", Threshold: 0.75, Threads: 2,
		GPIO: []GPIORule{{Pin: "GPIO17", Label: "Truck"}, {Pin: "GPIO27", Label: "Car"}}})
	require.Contains(t, u, `ExecStart=/opt/edgecnn/current/edgecnn-device run --model /opt/edgecnn/current/model.ecnn --camera "gst:libcamerasrc ! appsink" --threshold 0.75 --threads 2 --gpio GPIO17=Truck --gpio GPIO27=Car`+"\n")
	require.Contains(t, u, "Restart=on-failure\n")
	require.Contains(t, u, "NoNewPrivileges=yes\n")
	require.NoError(t, CheckDeviceRoot("/opt/edgecnn"))
	for _, bad := range []string{"opt/edgecnn", "/opt/../etc", "/opt/edge cnn", "/opt/%n", "/opt/"} {
		require.Error(t, CheckDeviceRoot(bad), bad)
	}
}
