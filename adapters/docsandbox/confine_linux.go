package docsandbox

import (
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// What the operating system enforces on the worker, beyond the watchdog
// (watch) and the Checker's timeout, which are the worker's and the
// bot's own doing:
//
//   - Address space (RLIMIT_AS): what the runtime had mapped at start
//     plus four times the memory limit. An allocation past it fails in
//     the kernel, even one the watchdog would not see in time; the
//     runtime then dies ("out of memory").
//   - CPU time (RLIMIT_CPU): each check may use twice the Checker's
//     timeout of CPU; past it the worker exits (SIGXCPU), even if the bot
//     that should have killed it is gone.
//   - No core dumps (RLIMIT_CORE 0): a crash never writes an applicant's
//     document to disk.
//   - No new privileges (PR_SET_NO_NEW_PRIVS): nothing it could execute
//     gains any.
//   - It dies with the bot (Pdeathsig SIGKILL on the thread that started
//     it) and inherits no file descriptor but its pipes (every other one
//     of the bot's is marked close-on-exec before the start).
//
// It still runs as the bot's user, in the bot's file system and network
// namespace: a flaw in the Go runtime or in pdfcpu that gave code
// execution would give it the bot's files and network. SECURITY.md says
// what that means.

// exitOverCPU is the worker's exit status when its CPU budget ran out.
const exitOverCPU = 4

// confine applies the worker's limits to this process, first thing.
func confine(memoryLimit int64) error {
	mapped, err := mappedBytes()
	if err != nil {
		return err
	}
	as := uint64(mapped + 4*memoryLimit)
	if err := unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: as, Max: as}); err != nil {
		return fmt.Errorf("RLIMIT_AS: %w", err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("RLIMIT_CORE: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	xcpu := make(chan os.Signal, 1)
	signal.Notify(xcpu, syscall.SIGXCPU) // the runtime ignores it otherwise
	go func() {
		<-xcpu
		os.Exit(exitOverCPU)
	}()
	return nil
}

// budgetCPU lets the next check use d of CPU time from now on.
func budgetCPU(d time.Duration) error {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	secs := uint64(math.Ceil((used + d).Seconds()))
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CPU, &lim); err != nil {
		return err
	}
	lim.Cur = min(secs, lim.Max)
	return unix.Setrlimit(unix.RLIMIT_CPU, &lim)
}

// mappedBytes is the address space this process has mapped.
func mappedBytes() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	pages, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * int64(os.Getpagesize()), nil
}

// workerAttr is how the worker is started.
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// closeOnExec marks every descriptor from 3 up close-on-exec, so that the
// worker inherits only its pipes. Go opens its own that way already; this
// covers any a library opened otherwise.
func closeOnExec() {
	_ = unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}
