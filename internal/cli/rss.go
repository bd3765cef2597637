package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// printPeakRSS reports the process's peak resident set size.
func printPeakRSS(w io.Writer) {
	if b, ok := PeakRSSBytes(); ok {
		fmt.Fprintf(w, "edgecnn: peak RSS %.1f MiB\n", float64(b)/(1<<20))
	}
}

// PeakRSSBytes is the process's peak resident set size: VmHWM from
// /proc/self/status, else getrusage's Maxrss. Linux carries Maxrss over
// exec from the process image before it, so a binary started by a large
// parent (via vfork, as Go's os/exec does) would report the parent's size.
func PeakRSSBytes() (int64, bool) {
	if kib, ok := vmHWM(); ok {
		return kib << 10, true
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		return int64(ru.Maxrss) << 10, true
	}
	return 0, false
}

// vmHWM reads the peak resident set size in KiB from /proc/self/status.
func vmHWM() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
