package loadtest

// The readings a run takes of the bot, redis-server and itself: CPU time
// and memory from /proc, commands and CPU from INFO, the drafts' size from
// MEMORY USAGE.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// scriptOnly are commands regbot issues only inside its Lua scripts, so
// they are no round trips of their own (INFO commandstats counts them).
// Since the session store reads a session inside its load script (with
// the chat's in-flight hash), HGETALL, HGET, HDEL and PTTL are among them;
// the one HGETALL outside a script (SessionStore.Peek) runs only for an
// orphaned update or a reminder, not per step. EXISTS too: the load
// script reads the query-password lock (QueryGuard.Locked, a call of its
// own, runs only if a store did not; adapters/redis
// TestQueryPasswordStepTakesTwoRoundTrips counts the calls themselves).
// TIME and HSETNX run inside the rate limiter's script (webhook mode:
// adapters/redis Limiter), one EVALSHA per update.
var scriptOnly = map[string]bool{"hmget": true, "pexpire": true, "zadd": true, "hset": true, "incr": true, "zrangebyscore": true, "zrem": true,
	"hgetall": true, "hget": true, "hdel": true, "pttl": true, "exists": true, "time": true, "hsetnx": true}

func redisClient(url string) (*goredis.Client, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("loadtest: REDIS_URL: %w", err)
	}
	return goredis.NewClient(opt), nil
}

// commandStats returns calls per command from INFO commandstats.
func commandStats(ctx context.Context, rdb *goredis.Client) (map[string]int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
		out[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	// The commands this tool sends itself are not the bot's.
	out["info"] = 0
	return out, nil
}

// redisCPU is the server's user+system CPU time (INFO cpu).
func redisCPU(ctx context.Context, rdb *goredis.Client) time.Duration {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// draftSize samples up to 200 session keys of the run's users.
func draftSize(ctx context.Context, rdb *goredis.Client, users []*user) (mem, js float64, keys int64) {
	n := 0
	step := max(1, len(users)/200)
	for i := 0; i < len(users); i += step {
		key := "regbot:sess:{" + strconv.FormatInt(users[i].chatID, 10) + "}"
		m, err := rdb.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			continue
		}
		l, _ := rdb.HStrLen(ctx, key, "d").Result()
		mem += float64(m)
		js += float64(l)
		n++
	}
	keys, _ = rdb.DBSize(ctx).Result()
	if n == 0 {
		return 0, 0, keys
	}
	return mem / float64(n), js / float64(n), keys
}

// procsCPU is the CPU time of the bot processes so far, with that of
// their child processes (the document checker's worker, live or reaped).
func procsCPU(pids []int) time.Duration {
	var total time.Duration
	for _, p := range pids {
		d, _ := procCPU(p)
		total += d
		for _, c := range childrenOf(p) {
			d, _ := procCPU(c)
			total += d
		}
	}
	return total
}

// childrenOf lists the live child processes of pid.
func childrenOf(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for f := range strings.FieldsSeq(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// procCPU is the process's user+system CPU time so far, with that of its
// children it has waited for.
func procCPU(pid int) (time.Duration, error) {
	self, reaped, err := procCPUParts(pid)
	return self + reaped, err
}

// procCPUParts is the process's own user+system CPU time so far, and
// that of its children it has waited for.
func procCPUParts(pid int) (self, reaped time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which is in parentheses).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)  // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64)  // field 15
	cut, _ := strconv.ParseInt(f[13], 10, 64) // field 16
	cst, _ := strconv.ParseInt(f[14], 10, 64) // field 17
	const hz = 100                            // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, time.Duration(cut+cst) * time.Second / hz, nil
}

// procMem returns VmHWM and VmRSS in bytes.
func procMem(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			hwm = n << 10
		case "VmRSS":
			rss = n << 10
		}
	}
	return hwm, rss
}

// procsCPUSplit is procsCPU in two parts: the bot processes' own CPU time,
// and their child processes' (the document checker's worker, live or
// reaped).
func procsCPUSplit(pids []int) (own, children time.Duration) {
	for _, p := range pids {
		self, reaped, _ := procCPUParts(p)
		own += self
		children += reaped
		for _, c := range childrenOf(p) {
			d, _ := procCPU(c)
			children += d
		}
	}
	return own, children
}

// procPSS returns the process's proportional set size in bytes
// (/proc/<pid>/smaps_rollup): its private pages plus its share of the
// pages it shares, such as the binary's, which the bot and its document
// checker (the same executable) map both. 0 if it cannot be read.
func procPSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// memPeak is the highest PSS of the bot processes and their children
// together seen by sample, with its parts at that moment.
type memPeak struct {
	mu                    sync.Mutex
	total, bots, children int64
	samples               int
}

// sample reads the PSS of pids and their children once.
func (m *memPeak) sample(pids []int) {
	var bots, kids int64
	for _, p := range pids {
		bots += procPSS(p)
		for _, c := range childrenOf(p) {
			kids += procPSS(c)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples++
	if bots+kids > m.total {
		m.total, m.bots, m.children = bots+kids, bots, kids
	}
}

// watch samples every d until ctx is done.
func (m *memPeak) watch(ctx context.Context, pids func() []int, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		m.sample(pids())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
