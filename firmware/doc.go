// Package firmware builds, signs, verifies and installs edgecnn bundles: one
// file that carries everything a Raspberry Pi needs to run a model, and an
// installer that a power cut cannot leave half-done.
//
// # Bundle format (.ecfw)
//
// A bundle is one file, little-endian, with no padding and no byte that is
// not checked:
//
//	offset 0      magic "ECFW"
//	       4      format version (uint32, 1)
//	       8      manifest length M (uint32, at most MaxManifestSize)
//	      12      signature length (uint32, always 64)
//	      16      manifest: JSON (see Manifest), the exact bytes that are signed
//	    16+M      ed25519 signature of the manifest bytes
//	 16+M+64      the files' contents, back to back, in the manifest's order;
//	              each file's length and SHA-256 are in the manifest
//	      end     nothing: trailing bytes are an error
//
// A reader checks the signature before it parses the manifest, then streams
// every file through SHA-256 and compares sizes and hashes, so a changed byte
// anywhere (header, manifest, signature, file data) is refused with an error
// that names the part that failed. Files are flat (one path component, no
// leading dot), regular (Type "file"), and their permission bits carry no
// setuid, setgid or sticky bit; anything else, such as an absolute path, "..",
// a symlink, a hardlink or a device, is refused even when signed.
//
// A bundle holds four files: the static, cgo-free edgecnn-device binary for the
// target (BinaryFile), the model (ModelFile), the validated run
// configuration (ConfigFile) and a systemd unit (UnitFile).
//
// # Device layout
//
//	ROOT/releases/V/    one folder per installed version: the bundle's files
//	                    plus manifest.json and manifest.sig
//	ROOT/current        symlink to releases/V (relative, so an SD card can be
//	                    staged at any mount point)
//	ROOT/previous       symlink to the release current pointed at before
//	ROOT/.lock          serialises installs and rollbacks
//
// Install verifies the whole bundle before it writes anything, extracts into
// a temporary folder under releases/ (fsyncing every file and folder),
// re-checking every hash as it writes, runs the new binary's self-check
// ("edgecnn-device selftest --model model.ecnn"), renames the folder to
// releases/V, and only then switches current: a new link is made under a
// temporary name and exchanged with current in one rename (renameat2
// RENAME_EXCHANGE), after which the old link becomes previous. An install
// stopped at any point leaves current at the old release or, once the
// exchange is done, at the complete new one; leftovers are removed by the
// next install.
//
// Versions are immutable: installing the version that is already current with
// the same manifest does nothing and says so; a different bundle with the
// same version is refused.
//
// Enable the service once with
//
//	systemctl link ROOT/current/edgecnn.service && systemctl enable --now edgecnn
package firmware
