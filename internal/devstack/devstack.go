// Package devstack starts throw-away Redis and PostgreSQL servers on the
// loopback interface, for the local dev stack and for tests of the packages
// that talk to them (see MustRedis, MustPostgres and Main).
//
// The servers are the real binaries from the host (Debian packages
// redis-server and postgresql), run in a directory of the caller's choice on
// a free port of 127.0.0.1. A system server on the default port is never
// touched. A missing binary is an error that says what to install.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is a running server process.
type Server struct {
	URL string // how clients reach it, e.g. redis://127.0.0.1:PORT/0
	Dir string // its data directory

	name    string // "redis-server" or "postgres", for messages
	addr    string // 127.0.0.1:PORT
	cmd     *exec.Cmd
	stopSig syscall.Signal // the server's graceful shutdown signal
	timeout time.Duration  // how long Stop waits before killing
	out     *tail
	done    chan struct{} // closed when the process has exited
	exitErr error         // valid after done is closed
	remove  []string      // scratch directories removed after exit

	stopOnce sync.Once
	stopErr  error
}

// Stop shuts the server down gracefully and waits for it to exit; if it has
// not exited after a timeout, Stop kills its whole process group. Stop
// leaves the data directory in place and may be called more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var err error
	select {
	case <-s.done:
		// It exited by itself (a crash); say so, since its data may be incomplete.
		err = fmt.Errorf("devstack: %s had exited before Stop (%v); its output ends with:\n%s", s.name, s.exitErr, s.out)
	default:
		if sigErr := s.cmd.Process.Signal(s.stopSig); sigErr != nil && !errors.Is(sigErr, os.ErrProcessDone) {
			err = fmt.Errorf("devstack: stop %s: %w", s.name, sigErr)
		}
		t := time.NewTimer(s.timeout)
		select {
		case <-s.done:
			t.Stop()
		case <-t.C:
			killGroup(s.cmd.Process.Pid)
			<-s.done
			err = fmt.Errorf("devstack: %s did not stop within %v and was killed", s.name, s.timeout)
		}
	}
	for _, dir := range s.remove {
		os.RemoveAll(dir)
	}
	return err
}

// start runs the server in its own process group (so that Stop can kill
// stray children) with dir as its working directory; cred, if not nil, is
// the user it runs as. Its output goes to log, if not nil, and to a tail
// buffer that error messages quote.
func start(name, path string, args []string, dir string, cred *syscall.Credential, log io.Writer) (*Server, error) {
	out := new(tail)
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if log != nil {
		cmd.Stdout = multiWriter{out, log}
	} else {
		cmd.Stdout = out
	}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = procAttr(cred)
	// Children of the server (postgres backends, redis rewrite children) hold
	// the output pipe too; do not let one of them hold up Wait.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devstack: start %s: %w", name, err)
	}
	s := &Server{Dir: dir, name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		s.exitErr = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// waitReady calls probe with a growing pause until it succeeds, the server
// exits or ctx ends.
func (s *Server) waitReady(ctx context.Context, probe func(ctx context.Context) error) error {
	pause := 10 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-s.done:
			t.Stop()
			return fmt.Errorf("devstack: %s exited during startup (%v); its output ends with:\n%s", s.name, s.exitErr, s.out)
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("devstack: %s not ready: %w (last try: %v); its output ends with:\n%s", s.name, ctx.Err(), err, s.out)
		case <-t.C:
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// portInUse reports whether the server failed because its port was taken
// between freePort and its bind.
func (s *Server) portInUse() bool {
	return strings.Contains(s.out.String(), "Address already in use")
}

// freePort returns a port of 127.0.0.1 that nobody listened on a moment
// ago. Another process may take it before the server binds it; callers
// retry when the server reports the address in use.
func freePort() (int, error) {
	addr, err := FreeAddr()
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	return strconv.Atoi(port)
}

// FreeAddr returns an address of 127.0.0.1 whose port nobody listened on
// a moment ago (the same race as freePort's: whoever binds it must cope
// with the address being taken meanwhile).
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("devstack: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// findBinary looks name up on PATH and then in dirs.
func findBinary(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		p := d + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// tail keeps the last bytes written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

const tailMax = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if n := len(t.b) - tailMax; n > 0 {
		t.b = append(t.b[:0], t.b[n:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// multiWriter writes to the tail and the caller's log; a failing log does
// not stop the server's output from being drained.
type multiWriter struct {
	out *tail
	log io.Writer
}

func (w multiWriter) Write(p []byte) (int, error) {
	w.out.Write(p)
	w.log.Write(p)
	return len(p), nil
}
