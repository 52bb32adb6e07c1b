//go:build unix && !linux

package devstack

import "syscall"

// procAttr puts the server in its own process group.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
