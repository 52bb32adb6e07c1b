package docsandbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// opSpin keeps the worker busy until it is stopped.
const opSpin byte = 100

func init() {
	testOps = map[byte]func(request) response{opSpin: func(request) response {
		for {
		}
	}}
}

// workerPID starts c's worker with a first check and returns its pid.
func workerPID(t *testing.T, c *Checker) int {
	t.Helper()
	if _, err := c.ImagesToPDF(context.Background(), [][]byte{pngImage(t)}); err != nil {
		t.Fatal(err)
	}
	return c.w.cmd.Process.Pid
}

// TestWorkerConfined: the kernel enforces the worker's limits.
func TestWorkerConfined(t *testing.T) {
	c := newChecker(t, Options{})
	pid := workerPID(t, c)
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ name, soft string }{
		{"Max address space", ""}, {"Max cpu time", ""}, {"Max core file size", "0"},
	} {
		var line string
		for l := range strings.Lines(string(limits)) {
			if strings.HasPrefix(l, want.name) {
				line = l
			}
		}
		f := strings.Fields(strings.TrimPrefix(line, want.name))
		if len(f) < 2 || f[0] == "unlimited" || (want.soft != "" && f[0] != want.soft) {
			t.Errorf("%s: %q", want.name, line)
		}
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if !strings.Contains(string(status), "NoNewPrivs:\t1") {
		t.Error("the worker may gain privileges")
	}
}

// TestWorkerInheritsNoDescriptors: a descriptor the bot holds without
// close-on-exec (as a C library might open one) does not reach the worker.
func TestWorkerInheritsNoDescriptors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot-secret")
	if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	c := newChecker(t, Options{})
	pid := workerPID(t, c)
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, _ := os.Readlink(filepath.Join(dir, e.Name())); target == path {
			t.Errorf("the worker holds the bot's descriptor %s → %s", e.Name(), target)
		}
	}
}

// TestWorkerDiesWithTheBot: a bot killed while its worker is busy (deep in
// a check, not reading its pipe) does not leave the worker running.
func TestWorkerDiesWithTheBot(t *testing.T) {
	if os.Getenv("DOCSANDBOX_TEST_BOT") == "1" {
		c := New(Options{Timeout: time.Hour})
		fmt.Println(workerPID(t, c))
		c.do(context.Background(), request{Op: opSpin}, refusal{}) // until killed
		return
	}
	bot := exec.Command(os.Args[0], "-test.run=^TestWorkerDiesWithTheBot$")
	bot.Env = append(os.Environ(), "DOCSANDBOX_TEST_BOT=1")
	out, err := bot.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		bot.Process.Kill()
		t.Fatalf("the bot said %q (%v)", line, err)
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	bot.Process.Kill()
	bot.Wait()
	// The worker's pidfd becomes readable when it exits.
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}, int((10 * time.Second).Milliseconds()))
	if err != nil || n != 1 {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the worker outlived the bot (poll %d, %v)", n, err)
	}
}
