package devstack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RedisOptions configure StartRedis.
type RedisOptions struct {
	// AppendOnly turns the append-only file on, so that a server started
	// again on the same directory keeps the data. Snapshots are always off.
	AppendOnly bool
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Log receives the server's output; nil keeps only the tail that error
	// messages quote.
	Log io.Writer
}

const redisInstall = `install it with "apt-get install -y redis-server"`

// redisDirs are searched for redis-server after PATH (a variable for tests).
var redisDirs = []string{"/usr/bin", "/usr/local/bin", "/usr/sbin"}

// StartRedis runs redis-server on 127.0.0.1 with dir (created if missing) as
// its working directory and waits until it answers PING. Data that an
// earlier server left in dir (an append-only file) is loaded again. The
// server's URL selects database 0.
func StartRedis(ctx context.Context, dir string, opts RedisOptions) (*Server, error) {
	bin, err := findBinary("redis-server", redisDirs...)
	if err != nil {
		return nil, fmt.Errorf("devstack: redis-server not found on PATH or in /usr/bin: %s", redisInstall)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	appendOnly := "no"
	if opts.AppendOnly {
		appendOnly = "yes"
	}
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		args := []string{
			"--bind", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--save", "",
			"--appendonly", appendOnly,
			"--dir", dir,
			"--daemonize", "no",
		}
		s, err := start("redis-server", bin, args, dir, nil, opts.Log)
		if err != nil {
			return nil, err
		}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.URL = "redis://" + s.addr + "/0"
		s.stopSig = syscall.SIGTERM // flushes the append-only file, then exits
		s.timeout = 10 * time.Second
		err = s.waitReady(ctx, func(ctx context.Context) error {
			return redisCommands(ctx, s.addr, "PING")
		})
		if err == nil {
			return s, nil
		}
		s.Stop()
		if opts.Port != 0 || attempt == 3 || !s.portInUse() {
			return nil, err
		}
	}
}

// redisCommands sends inline commands to the server at addr and fails
// unless each one gets a status reply (+OK, +PONG). While redis-server loads
// its data it answers -LOADING, which counts as not ready.
func redisCommands(ctx context.Context, addr string, cmds ...string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, strings.Join(cmds, "\r\n")+"\r\n"); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for _, cmd := range cmds {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		if !strings.HasPrefix(line, "+") {
			return fmt.Errorf("%s: redis answered %q", cmd, strings.TrimSpace(line))
		}
	}
	return nil
}
