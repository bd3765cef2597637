package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/firmware/configfile"
	"github.com/edgecnn/edgecnn/firmware/mender"
	"github.com/edgecnn/edgecnn/internal/cli"
	"github.com/edgecnn/edgecnn/internal/crossbuild"
	"github.com/edgecnn/edgecnn/internal/samefile"
	"github.com/edgecnn/edgecnn/model"
)

func keygenCmd() *cobra.Command {
	var out string
	var force bool
	c := &cobra.Command{
		Use:   "keygen -o KEY",
		Short: "Write an ed25519 signing key pair (KEY, mode 0600, and KEY.pub)",
		Example: `  edgecnn firmware keygen -o fleet.key
  edgecnn firmware keygen -o fleet.key --force   # replace an existing pair`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := firmware.GenerateKey(out, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key %s (keep it secret), public key %s.pub (copy it to devices)\n", out, out)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "private key file to write (the public key goes to FILE.pub)")
	c.Flags().BoolVar(&force, "force", false, "replace existing key files")
	c.MarkFlagRequired("output")
	return c
}

func buildCmd() *cobra.Command {
	var opt firmware.BuildOptions
	var target, key, config, source string
	var asJSON bool
	var mf menderFlags
	c := &cobra.Command{
		Use:   "build --model M --target T --key KEY --version V -o BUNDLE",
		Short: "Cross-compile edgecnn-device and pack it with a model into a signed bundle",
		Long: `build compiles the static, cgo-free device binary, edgecnn-device, for the
target with the Go toolchain (run it from the edgecnn source tree, or pass
--source or a prebuilt --binary),
validates the model and the run configuration (JSON or YAML: camera, threads,
threshold, gpio rules), renders the systemd unit, and writes the signed bundle
atomically. With --format mender it writes a signed Mender artefact instead,
whose payload is the bundle, for the update module of 'firmware mender-module'.`,
		Example: `  edgecnn firmware build --model model.q8.ecnn --target linux/arm64 --key fleet.key --version 1.0.0 -o car.ecfw
  edgecnn firmware build --model model.q8.ecnn --target linux/arm/v7 --key fleet.key --version 1.0.1 \
      --config device.yaml --device-root /opt/edgecnn -o car-armv7.ecfw
  edgecnn firmware build --model model.q8.ecnn --target linux/arm64 --binary bin/edgecnn-device-linux-arm64 \
      --key fleet.key --version 1.0.2 -o car.ecfw
  edgecnn firmware build --model model.q8.ecnn --target linux/arm64 --key fleet.key --version 1.0.3 \
      --format mender --mender-key mender.key --device-type raspberrypi4 -o car-1.0.3.mender

  # device.yaml
  camera: "cmd:rpicam-vid -t 0 --codec mjpeg -o -"
  threads: 4
  threshold: 0.8
  gpio:
    - {pin: GPIO17, label: Truck}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := samefile.CheckOutput("-o", opt.Output, samefile.Input{Flag: "--model", Path: opt.Model},
				samefile.Input{Flag: "--key", Path: key}, samefile.Input{Flag: "--config", Path: config},
				samefile.Input{Flag: "--binary", Path: opt.Binary}, samefile.Input{Flag: "--mender-key", Path: mf.key}); err != nil {
				return err
			}
			mo, err := mf.check()
			if err != nil {
				return err
			}
			if opt.Target, err = firmware.ParseTarget(target); err != nil {
				return err
			}
			if opt.Key, err = firmware.ReadPrivateKey(key); err != nil {
				return err
			}
			if config != "" {
				c, err := configfile.Read(config)
				if err != nil {
					return err
				}
				opt.Config = &c
			}
			if opt.Binary == "" {
				tmp, err := os.MkdirTemp("", "edgecnn-device-*")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				opt.Binary = filepath.Join(tmp, firmware.BinaryFile)
				if err := crossbuild.Device(cmd.Context(), source, opt.Target, opt.Binary, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			if mo != nil {
				m, a, err := buildMender(opt, mo)
				if err != nil {
					return err
				}
				if asJSON {
					return cli.PrintJSON(cmd.OutOrStdout(), struct {
						Artifact *mender.Artifact   `json:"artifact"`
						Manifest *firmware.Manifest `json:"manifest"`
					}{a, m})
				}
				printArtifact(cmd.OutOrStdout(), a)
				printManifest(cmd.OutOrStdout(), m)
				return nil
			}
			m, err := firmware.Build(opt)
			if err != nil {
				return err
			}
			if m.Model.DType == model.Float32 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is a float32 model: it runs on the device, but slower and larger than int8 (edgecnn quantize)\n", opt.Model)
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), m)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: version %s for %s\n", opt.Output, m.Version, m.Target)
			printManifest(cmd.OutOrStdout(), m)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opt.Model, "model", "", "model file (.ecnn) to bundle")
	f.StringVar(&target, "target", "linux/arm64", "platform: "+strings.Join(firmware.Targets, ", "))
	f.StringVar(&key, "key", "", "private key from 'firmware keygen'")
	f.StringVar(&opt.Version, "version", "", "release version (letters, digits, . _ + -)")
	f.StringVar(&config, "config", "", "run configuration, .json or .yaml (default: camera 0, threshold 0.5)")
	f.StringVar(&opt.Binary, "binary", "", "prebuilt static edgecnn-device for the target instead of compiling one")
	f.StringVar(&source, "source", "", "edgecnn module source folder (default: found from the current folder)")
	f.StringVar(&opt.DeviceRoot, "device-root", firmware.DefaultDeviceRoot, "install root on the device, used by the systemd unit")
	f.StringVarP(&opt.Output, "output", "o", "", "bundle file to write (.ecfw; .mender with --format mender)")
	f.BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	mf.add(f)
	for _, name := range []string{"model", "key", "version", "output"} {
		c.MarkFlagRequired(name)
	}
	return c
}

func verifyCmd() *cobra.Command {
	var pub string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify --pub KEY.pub BUNDLE",
		Short: "Check a bundle's signature and every file's hash, and print its manifest",
		Example: `  edgecnn firmware verify --pub fleet.key.pub car-1.0.0.ecfw
  edgecnn firmware verify --pub fleet.key.pub car-1.0.0.ecfw --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := firmware.ReadPublicKey(pub)
			if err != nil {
				return err
			}
			v, err := firmware.Verify(args[0], key)
			if err != nil {
				return err
			}
			if asJSON {
				return cli.PrintJSON(cmd.OutOrStdout(), v.Manifest)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: signature and %d files OK\n", args[0], len(v.Manifest.Files))
			printManifest(cmd.OutOrStdout(), v.Manifest)
			return nil
		},
	}
	c.Flags().StringVar(&pub, "pub", "", "public key from 'firmware keygen'")
	c.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	c.MarkFlagRequired("pub")
	return c
}

// printManifest writes a manifest's facts for people.
func printManifest(w io.Writer, m *firmware.Manifest) {
	fmt.Fprintf(w, "version   %s\ntarget    %s\ncreated   %s\ndevice    %s\n", m.Version, m.Target, m.Created.Format("2006-01-02 15:04:05 MST"), m.DeviceRoot)
	mf := m.Model
	fmt.Fprintf(w, "model     %s: %s, input %dx%dx%d, labels %s, %d probes\n", mf.Name, mf.DType,
		mf.InputWidth, mf.InputHeight, mf.InputChannels, strings.Join(mf.Labels, ", "), mf.Probes)
	if p := mf.Parity; p != nil {
		fmt.Fprintf(w, "parity    %d images of %s: float %.2f%%, int8 %.2f%%, agreement %.2f%%, max |diff| %.4f\n",
			p.Images, p.Data, 100*p.FloatAccuracy, 100*p.Int8Accuracy, 100*p.Agreement, p.MaxAbsDiff)
	}
	for _, f := range m.Files {
		fmt.Fprintf(w, "  %s %10d  %s  %s\n", f.Mode, f.Size, f.SHA256, f.Path)
	}
}
