//go:build !unix

package miniotest

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

// signalGroup can only kill the server itself where process groups do not exist.
func signalGroup(pid int, _ bool) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
