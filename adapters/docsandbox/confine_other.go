//go:build !linux

package docsandbox

import (
	"syscall"
	"time"
)

// Only Linux confines the worker (confine_linux.go); elsewhere it has the
// watchdog and the Checker's timeout alone.

const exitOverCPU = 4

func confine(int64) error { return nil }

func budgetCPU(time.Duration) error { return nil }

func workerAttr() *syscall.SysProcAttr { return nil }

func closeOnExec() {}
