//go:build unix

package exportfile

import (
	"syscall"
	"time"
)

// cpuTime is the user and system time the process has used: on a shared machine it
// measures the work where the wall clock measures the load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
