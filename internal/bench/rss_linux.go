package bench

import (
	"os"
	"syscall"
)

// peakRSS reads a finished process's peak resident set, which Linux reports in KiB.
func peakRSS(state *os.ProcessState) int64 {
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
