package faultserver

import (
	"os"
	"strconv"
	"strings"
)

// ProcStatus reads one "Vm..." figure (VmRSS, VmHWM) of the calling
// process's /proc/self/status, in bytes; 0 where /proc is not there. The
// memory-bound rows of the matrix measure with it.
func ProcStatus(key string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// ResetPeakRSS resets the kernel's high-water mark of the calling
// process's resident set (VmHWM), so ProcStatus("VmHWM") measures from
// here on. It reports whether the kernel allows it.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
