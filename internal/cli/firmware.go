package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/firmware"
	"github.com/edgecnn/edgecnn/firmware/mender"
)

// NewFirmwareCmd is "firmware" with the device's subcommands (install,
// rollback, status, mender-module) and extra ones (the workstation's keygen,
// build and verify).
func NewFirmwareCmd(extra ...*cobra.Command) *cobra.Command {
	fw := &cobra.Command{
		Use:   "firmware",
		Short: "Build, verify, install and roll back signed device bundles",
		Long: `A firmware bundle (.ecfw) is one signed file with everything a device needs:
the static edgecnn-device binary for its platform, the model, the run configuration
and a systemd unit. Install verifies it completely, unpacks it into
ROOT/releases/VERSION, runs its self-check, and only then switches the
ROOT/current link atomically, keeping ROOT/previous for rollback.`,
		Example: `  edgecnn firmware keygen -o fleet.key
  edgecnn firmware build --model model.q8.ecnn --target linux/arm64 --key fleet.key --version 1.0.0 -o car-1.0.0.ecfw
  edgecnn firmware verify --pub fleet.key.pub car-1.0.0.ecfw
  sudo edgecnn firmware install --pub fleet.key.pub --root /opt/edgecnn car-1.0.0.ecfw
  edgecnn firmware status --root /opt/edgecnn
  sudo edgecnn firmware rollback --root /opt/edgecnn`,
	}
	fw.AddCommand(extra...)
	fw.AddCommand(installCmd(), rollbackCmd(), statusCmd(), menderModuleCmd())
	return fw
}

func installCmd() *cobra.Command {
	var opt firmware.InstallOptions
	var pub, wrapper string
	var asJSON bool
	c := &cobra.Command{
		Use:   "install --pub KEY.pub --root DIR BUNDLE",
		Short: "Verify a bundle, unpack it as a new release, self-check it, and make it current",
		Long: `install verifies the whole bundle before writing anything, refuses a bundle
for another platform than this machine's (unless --force-arch), unpacks it into
DIR/releases/VERSION through a temporary folder with every file and folder
fsynced, runs the new binary's self-check, and then switches DIR/current in
one atomic rename, keeping DIR/previous. Interrupted at any point, current
still points at a complete, working release. Installing the bundle that is
already current does nothing; another bundle with the same version is refused.`,
		Example: `  sudo edgecnn firmware install --pub fleet.key.pub --root /opt/edgecnn car-1.0.0.ecfw
  # stage an SD card's root file system from an x86-64 workstation
  edgecnn firmware install --pub fleet.key.pub --root /mnt/sd/opt/edgecnn --force-arch \
      --exec-wrapper "qemu-aarch64 -cpu cortex-a72" car-1.0.0.ecfw`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opt.Pub, err = firmware.ReadPublicKey(pub); err != nil {
				return err
			}
			opt.ExecWrapper = strings.Fields(wrapper)
			opt.Log = cmd.ErrOrStderr()
			res, err := firmware.Install(cmd.Context(), args[0], opt)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			if res.AlreadyCurrent {
				fmt.Fprintf(w, "release %s is already current in %s: nothing to do\n", res.Version, opt.Root)
				return nil
			}
			fmt.Fprintf(w, "installed release %s in %s (self-check %s); previous: %s\n", res.Version, res.Release, res.SelfCheck, orNone(res.Previous))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&pub, "pub", "", "public key the bundle must be signed with")
	f.StringVar(&opt.Root, "root", firmware.DefaultDeviceRoot, "install root")
	f.BoolVar(&opt.ForceArch, "force-arch", false, "install a bundle for another platform (staging)")
	f.StringVar(&wrapper, "exec-wrapper", "", `run the self-check through this command, e.g. "qemu-aarch64 -cpu cortex-a72"`)
	f.DurationVar(&opt.SelfCheckTimeout, "selfcheck-timeout", 0, "limit for the new binary's self-check (default 5m)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.MarkFlagRequired("pub")
	return c
}

func rollbackCmd() *cobra.Command {
	var root string
	var asJSON bool
	c := &cobra.Command{
		Use:     "rollback --root DIR",
		Short:   "Swap DIR/current and DIR/previous atomically",
		Example: `  sudo edgecnn firmware rollback --root /opt/edgecnn && sudo systemctl restart edgecnn`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := firmware.Rollback(root)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(cmd.OutOrStdout(), st)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "current: %s (was %s)\n", st.Current, st.Previous)
			return nil
		},
	}
	c.Flags().StringVar(&root, "root", firmware.DefaultDeviceRoot, "install root")
	c.Flags().BoolVar(&asJSON, "json", false, "print the new status as JSON")
	return c
}

func statusCmd() *cobra.Command {
	var root string
	var asJSON bool
	c := &cobra.Command{
		Use:   "status --root DIR",
		Short: "Show the current and previous releases and every installed one",
		Example: `  edgecnn firmware status --root /opt/edgecnn
  edgecnn firmware status --root /opt/edgecnn --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := firmware.ReadStatus(root)
			if err != nil {
				return err
			}
			if asJSON {
				return PrintJSON(cmd.OutOrStdout(), st)
			}
			printStatus(cmd.OutOrStdout(), st)
			return nil
		},
	}
	c.Flags().StringVar(&root, "root", firmware.DefaultDeviceRoot, "install root")
	c.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return c
}

func menderModuleCmd() *cobra.Command {
	var out string
	var force bool
	c := &cobra.Command{
		Use:   "mender-module [-o FILE]",
		Short: "Install the Mender update module that installs edgecnn artefacts",
		Long: `mender-module writes edgecnn's update module for the Mender client, by default
to ` + mender.ModuleDir + `/` + mender.ModuleName + ` (run it as root on each device, or
put the file into the image). The module hands an artefact's bundle to
"edgecnn firmware install" and undoes a failed deployment with
"edgecnn firmware rollback". It reads EDGECNN_ROOT (default /opt/edgecnn) and
EDGECNN_PUB (default /etc/edgecnn/fleet.key.pub, the bundle public key) from
/etc/default/edgecnn-mender. "-o -" prints the script.`,
		Example: `  sudo edgecnn firmware mender-module
  edgecnn firmware mender-module -o rootfs/usr/share/mender/modules/v3/edgecnn
  edgecnn firmware mender-module -o - | less`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "-" {
				_, err := cmd.OutOrStdout().Write(mender.ModuleScript)
				return err
			}
			installed, err := mender.InstallModule(out, force)
			if err != nil {
				return err
			}
			if installed {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote the update module %s\n", out)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is already this update module\n", out)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", filepath.Join(mender.ModuleDir, mender.ModuleName), "file to write (- for stdout)")
	c.Flags().BoolVar(&force, "force", false, "replace a different file")
	return c
}

// printStatus writes an install root's releases for people: current marked
// *, previous -.
func printStatus(w io.Writer, st *firmware.Status) {
	fmt.Fprintf(w, "root %s: current %s, previous %s\n", st.Root, orNone(st.Current), orNone(st.Previous))
	for _, r := range st.Releases {
		mark := " "
		switch r.Version {
		case st.Current:
			mark = "*"
		case st.Previous:
			mark = "-"
		}
		if r.Manifest == nil {
			fmt.Fprintf(w, "%s %s: damaged: %s\n", mark, r.Version, r.Error)
			continue
		}
		m := r.Manifest
		fmt.Fprintf(w, "%s %s  %s  built %s  model %s (%s, %dx%d, labels %s)\n", mark, r.Version, m.Target,
			m.Created.Format("2006-01-02 15:04"), m.Model.Name, m.Model.DType, m.Model.InputWidth, m.Model.InputHeight,
			strings.Join(m.Model.Labels, ","))
	}
}

// orNone is v, or "none" when v is empty.
func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}
