package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/firmware/mender"
	"github.com/edgecnn/edgecnn/internal/clitest"
	"github.com/edgecnn/edgecnn/internal/testmodels"
	"github.com/edgecnn/edgecnn/model"
)

// menderDevice is a device root, the update module installed by the CLI,
// and what the Mender client's environment for it needs.
type menderDevice struct {
	t            *testing.T
	dir, root    string
	module       string
	env          []string
	systemctlLog string
}

// run runs the update module for a state with the payload of artefact
// (or none) in a FILES folder of its own, as the Mender client does.
func (d *menderDevice) run(state, files string) (string, error) {
	cmd := exec.Command(d.module, state, files)
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	d.t.Logf("module %s: %s", state, strings.TrimSpace(string(out)))
	return string(out), err
}

// files lays out FILES for an artefact: files/PAYLOAD extracted from
// data/0000.tar.gz with tar, and tmp/.
func (d *menderDevice) files(artifact string) string {
	files, err := os.MkdirTemp(d.dir, "files-*")
	require.NoError(d.t, err)
	require.NoError(d.t, os.MkdirAll(filepath.Join(files, "files"), 0o755))
	require.NoError(d.t, os.MkdirAll(filepath.Join(files, "tmp"), 0o755))
	sh := exec.Command("sh", "-c", `tar -xOf "$1" data/0000.tar.gz | tar -xzf - -C "$2"`, "sh", artifact, filepath.Join(files, "files"))
	out, err := sh.CombinedOutput()
	require.NoError(d.t, err, "%s", out)
	return files
}

func (d *menderDevice) current() string {
	cur, _ := os.Readlink(filepath.Join(d.root, firmware.CurrentLink))
	return cur
}

// TestMenderEndToEnd builds Mender artefacts with the real CLI, checks
// them with mender-artifact, and deploys them through the update module
// the CLI installs, as the Mender client would: install, a second install
// over it, a failed service restart that rolls back, and a bundle signed
// with another key that is refused without touching the device.
func TestMenderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds edgecnn; skipped with -short")
	}
	tool, err := exec.LookPath("mender-artifact")
	if err != nil {
		t.Skip("mender-artifact is not installed (apt-get install mender-artifact)")
	}
	bin := clitest.Build(t, clitest.WorkstationPkg, runtime.GOARCH)
	dev := clitest.Build(t, clitest.DevicePkg, runtime.GOARCH)
	dir := t.TempDir()
	pathDir := filepath.Join(dir, "bin")
	require.NoError(t, os.MkdirAll(pathDir, 0o755))
	require.NoError(t, os.Symlink(dev, filepath.Join(pathDir, "edgecnn-device")))
	// systemctl stand-in: logs its arguments; is-active answers $ACTIVE.
	require.NoError(t, os.WriteFile(filepath.Join(pathDir, "systemctl"), []byte(
		"#!/bin/sh\necho \"$*\" >>\"$SYSTEMCTL_LOG\"\ncase \"$1\" in is-active) exit \"$(cat \"$ACTIVE\")\";; esac\n"), 0o755))

	m := testmodels.New("cars", 4, 4, []model.Layer{
		{Name: "flatten", Type: model.Flatten, OutputShape: []int{48}},
		{Name: "dense", Type: model.Dense, Units: 2, Activation: model.Softmax, OutputShape: []int{2}, Weights: []string{"dense/kernel", "dense/bias"}},
	})
	r := mrand.New(mrand.NewPCG(1, 2))
	testmodels.AddUniform(m, r, "dense/kernel", -1, 1, 48, 2)
	testmodels.AddUniform(m, r, "dense/bias", -1, 1, 2)
	modelPath := filepath.Join(dir, "cars.ecnn")
	require.NoError(t, model.Save(modelPath, m))

	fleetKey := filepath.Join(dir, "fleet.key")
	clitest.RunBinary(t, nil, bin, "firmware", "keygen", "-o", fleetKey)
	otherKey := filepath.Join(dir, "other.key")
	clitest.RunBinary(t, nil, bin, "firmware", "keygen", "-o", otherKey)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(ec)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	menderKey, menderPub := filepath.Join(dir, "mender.key"), filepath.Join(dir, "mender.pub")
	require.NoError(t, os.WriteFile(menderKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(menderPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))

	d := &menderDevice{t: t, dir: dir, root: filepath.Join(dir, "opt-edgecnn"), systemctlLog: filepath.Join(dir, "systemctl.log")}
	active := filepath.Join(dir, "active")
	require.NoError(t, os.WriteFile(active, []byte("0"), 0o644))
	d.env = append(os.Environ(), "PATH="+pathDir+":"+os.Getenv("PATH"), "EDGECNN_ROOT="+d.root, "EDGECNN_PUB="+fleetKey+".pub",
		"EDGECNN_SETTLE=0", "SYSTEMCTL_LOG="+d.systemctlLog, "ACTIVE="+active)

	artifact := func(version, key string) string {
		out := filepath.Join(dir, "cars-"+version+".mender")
		stdout, _ := clitest.RunBinary(t, nil, bin, "firmware", "build", "--model", modelPath, "--target", firmware.HostTarget().String(),
			"--binary", dev, "--key", key, "--version", version, "--device-root", d.root,
			"--format", "mender", "--mender-key", menderKey, "--device-type", "raspberrypi4", "--json", "-o", out)
		var res struct {
			Artifact mender.Artifact
			Manifest firmware.Manifest
		}
		require.NoError(t, json.Unmarshal(stdout, &res))
		require.Equal(t, "edgecnn-"+version, res.Artifact.Name)
		require.Equal(t, version, res.Manifest.Version)
		vout, err := exec.Command(tool, "validate", "-k", menderPub, out).CombinedOutput()
		require.NoError(t, err, "%s", vout)
		rout, err := exec.Command(tool, "read", "-k", menderPub, out).CombinedOutput()
		require.NoError(t, err, "%s", rout)
		require.Contains(t, string(rout), "Signature: signed and verified correctly")
		require.Contains(t, string(rout), "rootfs-image.edgecnn.version: "+version)
		t.Logf("mender-artifact read -k mender.pub cars-%s.mender:\n%s", version, rout)
		return out
	}

	// The CLI installs the module; a second run finds it in place; a
	// changed file is replaced only with --force.
	d.module = filepath.Join(dir, "modules", "v3", "edgecnn")
	stdout, _ := clitest.RunBinary(t, nil, dev, "firmware", "mender-module", "-o", d.module)
	require.Contains(t, string(stdout), "wrote the update module")
	stdout, _ = clitest.RunBinary(t, nil, dev, "firmware", "mender-module", "-o", d.module)
	require.Contains(t, string(stdout), "already this update module")

	out, err := d.run("SupportsRollback", "")
	require.NoError(t, err)
	require.Equal(t, "Yes\n", out)
	out, err = d.run("NeedsArtifactReboot", "")
	require.NoError(t, err)
	require.Equal(t, "No\n", out)

	// First deployment: no release yet, so the edgecnn-device on PATH installs.
	a1 := artifact("1.0.0", fleetKey)
	f1 := d.files(a1)
	_, err = d.run("ArtifactInstall", f1)
	require.NoError(t, err)
	require.Equal(t, "releases/1.0.0", d.current())
	_, err = d.run("ArtifactCommit", f1)
	require.NoError(t, err)

	// Second deployment, committed.
	f2 := d.files(artifact("1.1.0", fleetKey))
	_, err = d.run("ArtifactInstall", f2)
	require.NoError(t, err)
	require.Equal(t, "releases/1.1.0", d.current())
	_, err = d.run("ArtifactCommit", f2)
	require.NoError(t, err)
	log, err := os.ReadFile(d.systemctlLog)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("cat edgecnn\ndaemon-reload\nrestart edgecnn\nis-active --quiet edgecnn\n", 2), string(log))

	// Third: the service does not come up, the install fails, and the
	// client's ArtifactRollback puts 1.1.0 back.
	require.NoError(t, os.WriteFile(active, []byte("3"), 0o644))
	f3 := d.files(artifact("1.2.0", fleetKey))
	out, err = d.run("ArtifactInstall", f3)
	require.Error(t, err)
	require.Contains(t, out, "edgecnn is not active")
	require.Equal(t, "releases/1.2.0", d.current())
	require.NoError(t, os.WriteFile(active, []byte("0"), 0o644))
	out, err = d.run("ArtifactRollback", f3)
	require.NoError(t, err)
	require.Contains(t, out, "rolling back")
	require.Equal(t, "releases/1.1.0", d.current())
	stdout, _ = clitest.RunBinary(t, nil, dev, "firmware", "status", "--root", d.root)
	require.Contains(t, string(stdout), "current 1.1.0, previous 1.2.0")

	// A bundle signed with another ed25519 key is refused by edgecnn's
	// installer even though the artefact's Mender signature is good; the
	// rollback that follows touches nothing.
	f4 := d.files(artifact("1.3.0", otherKey))
	out, err = d.run("ArtifactInstall", f4)
	require.Error(t, err)
	require.Contains(t, out, "signature")
	out, err = d.run("ArtifactRollback", f4)
	require.NoError(t, err)
	require.Contains(t, out, "nothing to roll back")
	require.Equal(t, "releases/1.1.0", d.current())

	// Rolling back the very first deployment has nowhere to go.
	fresh := &menderDevice{t: t, dir: dir, root: filepath.Join(dir, "fresh"), module: d.module}
	fresh.env = append(d.env, "EDGECNN_ROOT="+fresh.root)
	ff := fresh.files(a1)
	_, err = fresh.run("ArtifactInstall", ff)
	require.NoError(t, err)
	out, err = fresh.run("ArtifactRollback", ff)
	require.Error(t, err)
	require.Contains(t, out, "no release was current before")
}

func TestBuildFormatFlags(t *testing.T) {
	dir := t.TempDir()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(ec)
	require.NoError(t, err)
	menderKey := filepath.Join(dir, "mender.key")
	require.NoError(t, os.WriteFile(menderKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	base := []string{"--model", filepath.Join(dir, "m.ecnn"), "--key", filepath.Join(dir, "fleet.key"), "--version", "1.0.0", "-o", filepath.Join(dir, "out")}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "zip"}, `--format "zip": want ecfw or mender`},
		{[]string{"--mender-key", menderKey}, "need --format mender"},
		{[]string{"--device-type", "raspberrypi4"}, "need --format mender"},
		{[]string{"--format", "mender", "--device-type", "raspberrypi4"}, "needs --mender-key"},
		{[]string{"--format", "mender", "--mender-key", menderKey}, "needs --device-type"},
		{[]string{"--format", "mender", "--mender-key", filepath.Join(dir, "fleet.key"), "--device-type", "raspberrypi4"}, "fleet.key: no such file"},
	} {
		_, _, err := clitest.Run(t, buildCmd(), append(append([]string{}, base...), c.args...)...)
		require.ErrorContains(t, err, c.want, c.args)
	}
	_, err = os.Stat(filepath.Join(dir, "out"))
	require.True(t, os.IsNotExist(err))
}
