// Package board reports facts about the machine the classifier runs on:
// the board model, CPU cores and SIMD features, memory and temperature. A
// fact whose source file is missing (not a Pi, no thermal zone, a
// container) is unknown, never an error.
package board

import (
	"bufio"
	"bytes"
	"io/fs"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/cpu"
)

// Unknown is the value of a text fact that could not be read.
const Unknown = "unknown"

// Info describes the board. Numbers that could not be read are nil.
type Info struct {
	Model       string   `json:"model"`
	Arch        string   `json:"arch"`
	Cores       int      `json:"cores"`
	Features    []string `json:"cpu_features"`
	NEON        bool     `json:"neon"`
	DotProduct  bool     `json:"dot_product"`
	MemTotal    *int64   `json:"mem_total_bytes"`
	MemFree     *int64   `json:"mem_available_bytes"`
	Temperature *float64 `json:"temperature_c"`
	// KernelPath is the int8 kernel the runtime uses; the caller fills it
	// in (board knows nothing of the runtime).
	KernelPath string `json:"kernel_path"`
	// Kernels lists the int8 kernel implementations this CPU can run (the
	// caller fills it too).
	Kernels []string `json:"kernels_available"`
}

// Read gathers the facts from root (os.DirFS("/") on a live system; a
// fstest.MapFS in tests) and from the running CPU.
func Read(root fs.FS) Info {
	info := Info{
		Model:    readModel(root),
		Arch:     runtime.GOARCH,
		Cores:    runtime.NumCPU(),
		Features: cpuFeatures(),
	}
	info.NEON = cpu.ARM64.HasASIMD || cpu.ARM.HasNEON
	info.DotProduct = cpu.ARM64.HasASIMDDP
	info.MemTotal, info.MemFree = readMeminfo(root)
	info.Temperature = readTemperature(root)
	info.KernelPath = Unknown
	return info
}

// readModel reads the device-tree model string (NUL-terminated).
func readModel(root fs.FS) string {
	for _, p := range []string{"proc/device-tree/model", "sys/firmware/devicetree/base/model"} {
		b, err := fs.ReadFile(root, p)
		if err != nil {
			continue
		}
		if s := strings.TrimSpace(string(bytes.TrimRight(b, "\x00"))); s != "" {
			return s
		}
	}
	return Unknown
}

// readMeminfo returns MemTotal and MemAvailable from /proc/meminfo.
func readMeminfo(root fs.FS) (total, avail *int64) {
	b, err := fs.ReadFile(root, "proc/meminfo")
	if err != nil {
		return nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			n *= 1024
		}
		switch key {
		case "MemTotal":
			total = &n
		case "MemAvailable":
			avail = &n
		}
	}
	return total, avail
}

// readTemperature reads the first thermal zone (millidegrees Celsius).
func readTemperature(root fs.FS) *float64 {
	b, err := fs.ReadFile(root, "sys/class/thermal/thermal_zone0/temp")
	if err != nil {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return nil
	}
	c := float64(n) / 1000
	return &c
}

// cpuFeatures lists the SIMD features that matter to the kernels.
func cpuFeatures() []string {
	var out []string
	add := func(has bool, name string) {
		if has {
			out = append(out, name)
		}
	}
	add(cpu.ARM64.HasASIMD, "asimd")
	add(cpu.ARM64.HasASIMDDP, "asimddp")
	add(cpu.ARM64.HasASIMDHP, "asimdhp")
	add(cpu.ARM64.HasI8MM, "i8mm")
	add(cpu.ARM.HasNEON, "neon")
	add(cpu.X86.HasSSE41, "sse4.1")
	add(cpu.X86.HasAVX2, "avx2")
	add(cpu.X86.HasFMA, "fma")
	add(cpu.X86.HasAVX512F, "avx512f")
	add(cpu.X86.HasAVX512VNNI, "avx512vnni")
	return out
}
