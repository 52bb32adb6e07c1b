package devstack

import "syscall"

// procAttr puts the server in its own process group and, as a last resort
// against leaks, has the kernel kill it when the process that started it
// dies (a test binary that panics or times out never reaches Stop).
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
}

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
