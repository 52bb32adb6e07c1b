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
		for _, c := range children(p) {
			d, _ := procCPU(c)
			total += d
		}
	}
	return total
}

// children lists the live child processes of pid.
func children(pid int) []int {
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
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which is in parentheses).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)  // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64)  // field 15
	cut, _ := strconv.ParseInt(f[13], 10, 64) // field 16
	cst, _ := strconv.ParseInt(f[14], 10, 64) // field 17
	const hz = 100                            // USER_HZ on Linux
	return time.Duration(ut+st+cut+cst) * time.Second / hz, nil
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
