package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	// Fast trades durability for speed: no fsync, no full-page writes,
	// asynchronous commits. For tests, not for data one wants to keep.
	Fast bool
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Log receives the server's output; nil keeps only the tail that error
	// messages quote.
	Log io.Writer
}

// Database is the database that StartPostgres creates and its URL names.
const Database = "regbot"

const pgInstall = `install it with "apt-get install -y postgresql"`

// pgRoot is where Debian installs the binaries of each major version (a
// variable for tests).
var pgRoot = "/usr/lib/postgresql"

// StartPostgres runs a PostgreSQL server on 127.0.0.1 with dir as its data
// directory, first creating a cluster there (superuser postgres, trust
// authentication, UTF8) unless dir already holds one. It waits until the
// server accepts connections and creates the database regbot if it is
// missing. The server's URL names that database as user postgres.
//
// PostgreSQL refuses to run as root; as root, StartPostgres runs it as the
// postgres system user and hands dir over to that user, so every parent of
// dir must be searchable by it.
func StartPostgres(ctx context.Context, dir string, opts PostgresOptions) (*Server, error) {
	var err error
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	binDir, err := findPostgres(dir)
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = postgresUser(); err != nil {
			return nil, err
		}
		if err := checkReachable(dir, cred); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	if err := chownAll(dir, cred); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := initdb(ctx, binDir, dir, cred, opts.Fast); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		s, err := startPostgres(ctx, binDir, dir, cred, opts)
		if err == nil {
			return s, nil
		}
		if s == nil || opts.Port != 0 || attempt == 3 || !s.portInUse() {
			return nil, err
		}
	}
}

// startPostgres starts the server once; on failure it returns the stopped
// server too, so that the caller can see why it failed.
func startPostgres(ctx context.Context, binDir, dir string, cred *syscall.Credential, opts PostgresOptions) (*Server, error) {
	port := opts.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	// A private socket directory keeps us off /var/run/postgresql, which
	// belongs to the system server.
	sockDir, err := os.MkdirTemp("", "devstack-pgsock-")
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	if err := chownAll(sockDir, cred); err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	args := []string{"-D", dir, "-k", sockDir, "-h", "127.0.0.1", "-p", strconv.Itoa(port)}
	if opts.Fast {
		args = append(args, "-F", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	s, err := start("postgres", filepath.Join(binDir, "postgres"), args, dir, cred, opts.Log)
	if err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	s.remove = []string{sockDir}
	s.addr = "127.0.0.1:" + strconv.Itoa(port)
	s.URL = pgURL(s.addr, Database)
	s.stopSig = syscall.SIGINT // fast shutdown: SIGTERM would wait for every client to leave
	s.timeout = 30 * time.Second
	err = s.waitReady(ctx, func(ctx context.Context) error {
		return pgExec(ctx, s.addr, "postgres", "SELECT 1")
	})
	if err == nil {
		err = createDatabase(ctx, s.addr, Database, "")
	}
	if err != nil {
		s.Stop()
		return s, err
	}
	return s, nil
}

func pgURL(addr, db string) string {
	return "postgres://postgres@" + addr + "/" + db + "?sslmode=disable"
}

// pgExec runs statements, one after the other, in database db as postgres.
func pgExec(ctx context.Context, addr, db string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, pgURL(addr, db))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// createDatabase creates database name, copied from template (the default
// template1 if empty), unless it exists.
func createDatabase(ctx context.Context, addr, name, template string) error {
	conn, err := pgx.Connect(ctx, pgURL(addr, "postgres"))
	if err != nil {
		return fmt.Errorf("devstack: create database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err == nil && !exists {
		q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
		if template != "" {
			q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
		}
		_, err = conn.Exec(ctx, q)
	}
	if err != nil {
		return fmt.Errorf("devstack: create database %s: %w", name, err)
	}
	return nil
}

// initdb creates a cluster in dir, with the C.UTF-8 locale where the C
// library has it and C otherwise.
func initdb(ctx context.Context, binDir, dir string, cred *syscall.Credential, fast bool) error {
	var out []byte
	for _, locale := range []string{"C.UTF-8", "C"} {
		args := []string{"-D", dir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=" + locale}
		if fast {
			args = append(args, "--no-sync")
		}
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
		cmd.Dir = dir
		cmd.SysProcAttr = procAttr(cred)
		cmd.Cancel = func() error { killGroup(cmd.Process.Pid); return nil }
		var err error
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		if !strings.Contains(string(out), "locale") {
			break
		}
	}
	hint := ""
	if cred != nil {
		hint = " (running as root: initdb runs as user postgres, which must be able to reach " + dir + ")"
	}
	return fmt.Errorf("devstack: initdb failed%s:\n%s", hint, out)
}

// findPostgres returns the directory holding initdb and postgres: the one
// on PATH, else the highest version under /usr/lib/postgresql, but always
// the version of the cluster in dir if it has one.
func findPostgres(dir string) (string, error) {
	want := ""
	if b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION")); err == nil {
		want = strings.TrimSpace(string(b))
	}
	var cands []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			cands = append(cands, filepath.Dir(p))
		}
	}
	versions, _ := filepath.Glob(filepath.Join(pgRoot, "*", "bin"))
	slices.SortFunc(versions, func(a, b string) int { // highest first
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	cands = append(cands, versions...)
	for _, d := range cands {
		if !isExecutable(filepath.Join(d, "initdb")) || !isExecutable(filepath.Join(d, "postgres")) {
			continue
		}
		if want == "" || pgVersion(d) == want {
			return d, nil
		}
	}
	if want != "" {
		return "", fmt.Errorf("devstack: %s holds a PostgreSQL %s cluster but no PostgreSQL %s binaries were found on PATH or in %s: install them with \"apt-get install -y postgresql-%s\"", dir, want, want, pgRoot, want)
	}
	return "", fmt.Errorf("devstack: PostgreSQL (initdb, postgres) not found on PATH or in %s/*/bin: %s", pgRoot, pgInstall)
}

// pgVersion returns the major version of the binaries in binDir, taken
// from Debian's layout (/usr/lib/postgresql/15/bin) or else from
// "postgres --version".
func pgVersion(binDir string) string {
	if filepath.Dir(filepath.Dir(binDir)) == pgRoot {
		return filepath.Base(filepath.Dir(binDir))
	}
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return ""
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	f := strings.Fields(string(out))
	if len(f) < 3 {
		return ""
	}
	v := f[2]
	if major, _, ok := strings.Cut(v, "."); ok {
		if n, _ := strconv.Atoi(major); n >= 10 {
			return major
		}
		// 9.6 and older name the major version with two numbers.
		parts := strings.SplitN(v, ".", 3)
		return parts[0] + "." + parts[1]
	}
	return v
}

// compareVersions compares dotted version numbers numerically.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// postgresUser returns the credentials of the postgres system user that the
// Debian package creates.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("devstack: PostgreSQL cannot run as root and there is no postgres user to run it as (%v): %s", err, pgInstall)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("devstack: user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// checkReachable fails if a parent of dir is closed to cred's user, as
// t.TempDir's parent (mode 0700, owned by root) is.
func checkReachable(dir string, cred *syscall.Credential) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("devstack: %w", err)
		}
		var mode fs.FileMode = 0o001
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			switch {
			case st.Uid == cred.Uid:
				mode = 0o100
			case st.Gid == cred.Gid:
				mode = 0o010
			}
		}
		if fi.Mode().Perm()&mode == 0 {
			return fmt.Errorf("devstack: as root, PostgreSQL runs as user postgres, which cannot enter %s (%v); use a directory it can reach, e.g. one made by os.MkdirTemp(\"\", ...) rather than t.TempDir()", p, fi.Mode())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// chownAll hands the tree at dir to cred's user; nil cred does nothing.
func chownAll(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
	if err != nil {
		return fmt.Errorf("devstack: hand %s to user postgres: %w", dir, err)
	}
	return nil
}
