// Package loadtest drives a running regbot the way Telegram would, with
// many simulated applicants, and measures what SPEC §6 asks for: steps per
// second, step latency, Redis commands per step, Redis bytes per draft,
// the bot's CPU time per step and peak RSS, and submissions per second.
//
// It starts a fake Bot API on loopback (bot/telegramtest in lean mode), a marketing
// simulator that knows one account per simulated user, and the bot as a
// separate process (so that its CPU and memory are its own, read from
// /proc/<pid>), pointed at the fake by TELEGRAM_API_URL. Redis and
// Postgres are real; the caller provides them. See docs/performance.md.
package loadtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// Config is one load run.
type Config struct {
	Bot         []string // the command that runs regbot (binary and arguments)
	Env         []string // extra environment of the bot (REDIS_URL, DATABASE_URL, …)
	RedisURL    string   // the bot's Redis, for INFO and MEMORY USAGE
	Users       int      // simulated applicants, each doing one full registration
	Active      int      // closed loop: steps in flight at once
	Rate        float64  // open loop: offered steps per second (0: closed loop)
	Duration    time.Duration
	StepTimeout time.Duration
	ReviewChat  int64 // the review group (notices are stored in Postgres and sent at the group's rate, 20/min)
	// ChatRate and ChatBurst pace each simulated user below the bot's
	// per-chat limit (bot/ratelimit.go: 1 update/s after a burst of 30),
	// which would otherwise drop their updates. ChatRate 0: no pacing.
	ChatRate  float64
	ChatBurst int
	// Webhook runs the bot in webhook mode (the fake posts each update to
	// a replica, round robin) with Replicas processes; else long polling.
	Webhook  bool
	Replicas int
	// OpsListen, if set, is the first replica's HTTP_LISTEN, with PPROF on:
	// its profiler is then at http://OpsListen/debug/pprof/ during the run.
	OpsListen string
	Log       io.Writer
}

// telegramMethods are the Bot API methods a Result counts by name, in the
// order of the report; "other" counts the rest.
var telegramMethods = []string{"getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
	"answerCallbackQuery", "deleteMessage", "getFile", "downloadFile", "sendDocument", "sendChatAction", "other"}

// Result holds the figures of a run.
type Result struct {
	Mode                 string
	Users, Active        int
	Rate                 float64
	Steps, Errors        int64
	Completed            int // users who reached the submit step
	Elapsed              time.Duration
	StepsPerSec          float64
	P50, P90, P99, Max   time.Duration
	PwP50, PwP99         time.Duration // the password steps alone
	SlowSteps            []StepLatency // the steps of the script with the highest p99, slowest first
	RedisCmdsPerStep     float64
	RedisCallsPerStep    float64 // client round trips (EVALSHA counted once)
	RedisByCmd           map[string]float64
	DraftBytes           float64 // MEMORY USAGE of a session key, mean of a sample
	DraftJSONBytes       float64 // the session JSON alone
	CPUPerStep           time.Duration
	PeakRSS              int64 // VmHWM, bytes
	PeakRSSSteps         int64 // VmHWM at the end of the steps phase (before the submissions)
	RSSEnd               int64 // VmRSS at the end
	CheckerPeakRSS       int64 // VmHWM of the bot's document checker (a child process), bytes
	Submissions          int64
	SubmitElapsed        time.Duration
	SubmissionsPerSec    float64
	SubmitP99            time.Duration
	CPUPerSubmission     time.Duration
	TelegramCalls        map[string]int64 // by method; see telegramMethods
	TelegramRefused      int64            // calls the fake answered with an error
	GroupMessages        int64
	FirstErrors          []string
	BotExit              string
	SessionKeys          int64
	StepsPerRegistration int
	OfferedAchieved      float64
	CPUUtilisation       float64 // bot CPU seconds / wall seconds during the steps phase
	Replicas             int
	Webhook              bool
	WebhookRetries       int64         // webhook deliveries answered with an error or not at all, sent again
	SendLagP99           time.Duration // open loop: how late steps were sent after they were due (the user's previous reply or its pacing held it)
	Slots                int           // open loop: users taking steps at once (see Run)
	RSSReady             int64         // VmRSS once the bot polls, before any update
	LoadToolCPU          time.Duration // this process (users and fake Telegram) during the steps phase
	RedisCPU             time.Duration // redis-server during the steps phase (INFO cpu)
}

type sample struct {
	d        time.Duration
	password bool
	step     int // index in the script
}

// StepLatency is the latency of one step of the script across all users.
type StepLatency struct {
	Index    int    // in the script, from 0
	Want     string // the text its reply must contain
	P50, P99 time.Duration
}

// slowSteps returns the n steps with the highest p99, slowest first.
func slowSteps(samples []sample, sc []step, n int) []StepLatency {
	by := map[int][]time.Duration{}
	for _, s := range samples {
		by[s.step] = append(by[s.step], s.d)
	}
	var out []StepLatency
	for i, ds := range by {
		out = append(out, StepLatency{Index: i, Want: sc[i].want, P50: pct(ds, 50), P99: pct(ds, 99)})
	}
	slices.SortFunc(out, func(a, b StepLatency) int { return cmp.Compare(b.P99, a.P99) })
	return out[:min(n, len(out))]
}

// Run performs the load run described by cfg.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Users <= 0 || len(cfg.Bot) == 0 {
		return nil, errors.New("loadtest: no users or no bot command")
	}
	if cfg.Active <= 0 {
		cfg.Active = 50
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Minute
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 30 * time.Second
	}
	if cfg.ReviewChat == 0 {
		cfg.ReviewChat = -100999
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	run := strconv.FormatInt(time.Now().Unix()%1000, 10)
	for len(run) < 3 {
		run = "0" + run
	}
	base := int64(9_000_000_000) + (time.Now().UnixNano()/1000)%1_000_000_000*10 // chat ids unique per run
	users := map[int64]*user{}
	order := make([]*user, cfg.Users)
	accounts := make([]marketingsim.Account, cfg.Users)
	template := marketingsim.DefaultAccounts()[0].Points
	for i := range cfg.Users {
		u := newUser(base+int64(i), fmt.Sprintf("用户%d", i))
		users[u.chatID] = u
		order[i] = u
		acct := fmt.Sprintf("7%s%06d", run, i)
		pts := make([]domain.MeteringPoint, len(template))
		for k, p := range template {
			p.ID = fmt.Sprintf("%s%03d", acct, k+1)
			pts[k] = p
		}
		accounts[i] = marketingsim.Account{Number: acct, QueryPassword: queryPassword, Points: pts}
	}

	// The fake Bot API keeps a few messages per chat and tells each user
	// about the bot's messages and edits in its chat as they happen; users
	// is fixed before it starts, so it is read without a lock.
	var groupMsgs atomic.Int64
	api, err := telegramtest.NewServer(telegramtest.WithLean(keepMessages+4),
		telegramtest.WithEvents(func(ev telegramtest.Event) {
			if u := users[ev.Message.ChatID]; u != nil {
				u.event(ev)
			} else if ev.Method == "sendMessage" || ev.Method == "sendDocument" {
				groupMsgs.Add(1) // the review group
			}
		}))
	if err != nil {
		return nil, err
	}
	defer api.Close()
	token := api.Token
	for _, u := range order {
		u.api = api
	}
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sim := marketingsim.New(accounts)
	simCtx, simCancel := context.WithCancel(context.Background())
	defer simCancel()
	go func() { _ = sim.Serve(simCtx, simLn) }()

	rdb, err := redisClient(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	defer rdb.Close()

	// The bot, as its own process (or Replicas processes in webhook mode).
	res := &Result{Users: cfg.Users, Active: cfg.Active, Rate: cfg.Rate, Replicas: max(cfg.Replicas, 1), Webhook: cfg.Webhook,
		TelegramCalls: map[string]int64{}}
	var pids []int
	var exited []chan error
	var hooks []string
	for r := range res.Replicas {
		cmd := exec.Command(cfg.Bot[0], cfg.Bot[1:]...)
		cmd.Env = append(os.Environ(), cfg.Env...)
		cmd.Env = append(cmd.Env,
			"TELEGRAM_BOT_TOKEN="+token,
			"TELEGRAM_API_URL="+api.URL(),
			"MARKETING_URL=http://"+simLn.Addr().String(),
			"REVIEW_CHAT_ID="+strconv.FormatInt(cfg.ReviewChat, 10),
			"REVIEWER_IDS=1",
			"HTTP_LISTEN=off", // replicas would share 127.0.0.1:9090
		)
		if cfg.OpsListen != "" && r == 0 {
			cmd.Env = append(cmd.Env, "HTTP_LISTEN="+cfg.OpsListen, "PPROF=true")
		}
		if cfg.Webhook {
			addr, err := freeAddr()
			if err != nil {
				return nil, err
			}
			// TLS ends in front of the bot: Telegram is told an https URL,
			// the fake posts plain HTTP to the listener, as a proxy would.
			cmd.Env = append(cmd.Env, "WEBHOOK_URL=https://replica"+strconv.Itoa(r)+".loadtest.invalid/telegram",
				"WEBHOOK_LISTEN="+addr, "WEBHOOK_SECRET="+webhookSecret)
			hooks = append(hooks, "http://"+addr+"/telegram")
		}
		cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
		if cfg.Log == nil {
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("loadtest: start bot: %w", err)
		}
		pids = append(pids, cmd.Process.Pid)
		done := make(chan error, 1)
		exited = append(exited, done)
		go func() { done <- cmd.Wait() }()
		defer func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				done <- err
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				done <- <-done
			}
		}()
	}
	pid := pids[0]
	// Ready once it polls, or once every replica has set its webhook.
	botReady := func() bool {
		if cfg.Webhook {
			return api.Counts()["setWebhook"].Calls >= int64(len(hooks))
		}
		return api.Counts()["getUpdates"].Calls > 0
	}
	for !botReady() {
		select {
		case err := <-exited[0]:
			return nil, fmt.Errorf("loadtest: the bot exited: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if cfg.Webhook {
		time.Sleep(200 * time.Millisecond) // setWebhook is answered before the listener serves
		api.PostUpdates(hooks, webhookSecret)
	}
	logf("bot pids %v, fake Telegram %s, webhook %v; %d users", pids, api.URL(), cfg.Webhook, cfg.Users)
	_, res.RSSReady = procMem(pid)

	pdfs := [][]byte{conversationtest.PDF("catalog"), conversationtest.PDF("licence")}
	scripts := make([][]step, cfg.Users)
	for i := range cfg.Users {
		scripts[i] = script(run, i, accounts[i].Number)
	}
	res.StepsPerRegistration = len(scripts[0])

	// --- phase 1: every step but the submission
	statsBefore, _ := commandStats(ctx, rdb)
	cpu0 := procsCPU(pids)
	self0, _ := procCPU(os.Getpid())
	redis0 := redisCPU(ctx, rdb)
	var (
		mu        sync.Mutex
		samples   = make([]sample, 0, cfg.Users*len(scripts[0]))
		steps     atomic.Int64
		errs      atomic.Int64
		firstErrs []string
		lags      []time.Duration
		ready     = make([]bool, cfg.Users)
	)
	fail := func(u *user, st step, err error) {
		errs.Add(1)
		mu.Lock()
		if len(firstErrs) < 5 {
			firstErrs = append(firstErrs, fmt.Sprintf("chat %d at %q: %v", u.chatID, st.arg, err))
		}
		mu.Unlock()
	}
	// pdfOf is the file a sendPDF step uploads (the scripts alternate two).
	pdfOf := func(sc []step, k int) []byte {
		if sc[k].kind != sendPDF {
			return nil
		}
		n := 0
		for _, st := range sc[:k] {
			if st.kind == sendPDF {
				n++
			}
		}
		return pdfs[n%2]
	}
	// do performs step k of user i; sent is when the latency starts.
	do := func(i, k int, sent time.Time, record bool) bool {
		u, st := order[i], scripts[i][k]
		sctx, scancel := context.WithTimeout(ctx, cfg.StepTimeout)
		first, err := u.do(sctx, st, pdfOf(scripts[i], k))
		scancel()
		if err != nil {
			fail(u, st, err)
			return false
		}
		if record {
			steps.Add(1)
			mu.Lock()
			samples = append(samples, sample{first.Sub(sent), st.password, k})
			mu.Unlock()
		}
		return true
	}
	last := len(scripts[0]) - 1 // phase 1 stops before the submission
	newPacer := func() *rate.Limiter {
		if cfg.ChatRate > 0 {
			return rate.NewLimiter(rate.Limit(cfg.ChatRate), max(cfg.ChatBurst, 1))
		}
		return nil
	}
	var (
		start               time.Time
		elapsed             time.Duration
		cpu1, self1, redis1 time.Duration
		statsAfter          map[string]int64
	)
	// snapshot ends the measured window.
	var closed atomic.Bool
	snapshot := func() {
		closed.Store(true)
		elapsed = time.Since(start)
		cpu1 = procsCPU(pids)
		self1, _ = procCPU(os.Getpid())
		redis1 = redisCPU(context.Background(), rdb)
		statsAfter, _ = commandStats(context.Background(), rdb)
	}
	if cfg.Rate > 0 {
		res.Mode = "open"
		// Open loop: the offered steps are due at a steady rate and are
		// dealt round robin to slots, each slot a user who takes a step
		// every slots/Rate seconds (below the per-chat limit) and, when
		// done, hands over to the next user. So that every step of the
		// script is equally represented at any moment, as in a real
		// population, a warm-up (not measured) first brings each slot's
		// user to its start step (startSteps); without it all users would
		// move through the script in lockstep and each step would arrive
		// as a wave (Rate updates a second of that one step, for
		// users/Rate seconds). The window measured ends when the first slot runs out
		// of users.
		every := time.Second
		if cfg.ChatRate > 0 {
			every = time.Duration(1.25 * float64(time.Second) / cfg.ChatRate)
		}
		slots := max(1, min(cfg.Users, int(math.Ceil(cfg.Rate*every.Seconds()))))
		res.Slots = slots
		first := startSteps(slots, last)
		pacers := make([]*rate.Limiter, cfg.Users)
		for i := range pacers {
			pacers[i] = newPacer()
		}
		pace := func(i int) bool {
			if pacers[i] == nil {
				return true
			}
			if err := pacers[i].Wait(ctx); err != nil {
				fail(order[i], scripts[i][0], err)
				return false
			}
			return true
		}
		sem := make(chan struct{}, max(cfg.Active, 1))
		var warm sync.WaitGroup
		for j := range slots {
			warm.Add(1)
			go func() {
				defer warm.Done()
				for k := range first[j] {
					if !pace(j) {
						return
					}
					sem <- struct{}{}
					ok := do(j, k, time.Now(), false)
					<-sem
					if !ok {
						return
					}
				}
			}()
		}
		warm.Wait()
		// A user warmed up by many steps has used up its pacer: begin once
		// every slot's user may send again, or the first measured steps
		// would be held back by the tool's own pacing (and count as late).
		now, wait := time.Now(), time.Duration(0)
		for _, p := range pacers[:slots] {
			if p != nil {
				wait = max(wait, time.Duration((1-p.TokensAt(now))/float64(p.Limit())*float64(time.Second)))
			}
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		logf("open loop: %d slots warmed up", slots)
		statsBefore, _ = commandStats(ctx, rdb)
		cpu0, redis0 = procsCPU(pids), redisCPU(ctx, rdb)
		self0, _ = procCPU(os.Getpid())
		start = time.Now()
		next := atomic.Int64{}
		next.Store(int64(slots))
		var dry sync.Once
		var wg sync.WaitGroup
		for j := range slots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				i, k := j, first[j]
				for n := 0; ; n++ {
					if k == last {
						mu.Lock()
						ready[i] = true
						mu.Unlock()
						i, k = int(next.Add(1)-1), 0
						if i >= cfg.Users {
							dry.Do(snapshot)
							return
						}
					}
					due := start.Add(time.Duration(float64(j+n*slots) / cfg.Rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
					if !pace(i) {
						return
					}
					measured := !closed.Load()
					if measured {
						mu.Lock()
						lags = append(lags, time.Since(due))
						mu.Unlock()
					}
					if !do(i, k, due, measured) {
						return
					}
					k++
				}
			}()
		}
		wg.Wait()
		dry.Do(snapshot)
	} else {
		res.Mode = "closed"
		sem := make(chan struct{}, max(cfg.Active, 1))
		start = time.Now()
		var wg sync.WaitGroup
		for i, u := range order {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pace := newPacer()
				for k, st := range scripts[i][:last] {
					if pace != nil {
						if err := pace.Wait(ctx); err != nil {
							fail(u, st, err)
							return
						}
					}
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						fail(u, st, ctx.Err())
						return
					}
					ok := do(i, k, time.Now(), true)
					<-sem
					if !ok {
						return
					}
				}
				mu.Lock()
				ready[i] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		snapshot()
	}
	res.LoadToolCPU = self1 - self0
	res.RedisCPU = redis1 - redis0
	res.Steps, res.Errors, res.Elapsed = steps.Load(), errs.Load(), elapsed
	res.StepsPerSec = float64(res.Steps) / elapsed.Seconds()
	if cfg.Rate > 0 {
		res.OfferedAchieved = res.StepsPerSec / cfg.Rate
	}
	res.CPUUtilisation = (cpu1 - cpu0).Seconds() / elapsed.Seconds()
	all := make([]time.Duration, 0, len(samples))
	var pw []time.Duration
	for _, s := range samples {
		all = append(all, s.d)
		if s.password {
			pw = append(pw, s.d)
		}
	}
	res.P50, res.P90, res.P99, res.Max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	res.SendLagP99 = pct(lags, 99)
	res.PwP50, res.PwP99 = pct(pw, 50), pct(pw, 99)
	if len(scripts) > 0 {
		res.SlowSteps = slowSteps(samples, scripts[0], 5)
	}
	if res.Steps > 0 {
		res.CPUPerStep = (cpu1 - cpu0) / time.Duration(res.Steps)
		res.RedisByCmd = map[string]float64{}
		var total, calls float64
		for name, n := range statsAfter {
			d := float64(n - statsBefore[name])
			if d <= 0 {
				continue
			}
			res.RedisByCmd[name] = d / float64(res.Steps)
			total += d
			if !scriptOnly[name] {
				calls += d
			}
		}
		res.RedisCmdsPerStep = total / float64(res.Steps)
		res.RedisCallsPerStep = calls / float64(res.Steps)
	}
	// Drafts are complete now: the largest they get.
	res.DraftBytes, res.DraftJSONBytes, res.SessionKeys = draftSize(context.Background(), rdb, order)
	logf("steps phase: %d steps in %v (%.0f/s), %d errors", res.Steps, elapsed.Round(time.Millisecond), res.StepsPerSec, res.Errors)

	for _, p := range pids {
		hwm, _ := procMem(p)
		res.PeakRSSSteps = max(res.PeakRSSSteps, hwm)
	}

	// --- phase 2: every user who got there submits, Active at once.
	var subLat []time.Duration
	var subs atomic.Int64
	subSem := make(chan struct{}, cfg.Active)
	cpu2 := procsCPU(pids)
	subStart := time.Now()
	var wg sync.WaitGroup
	for i, u := range order {
		if !ready[i] {
			continue
		}
		res.Completed++
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scripts[i]
			st := sc[len(sc)-1]
			subSem <- struct{}{}
			defer func() { <-subSem }()
			sctx, scancel := context.WithTimeout(ctx, cfg.StepTimeout)
			defer scancel()
			t0 := time.Now()
			if _, err := u.do(sctx, st, nil); err != nil {
				fail(u, st, err)
				return
			}
			d := time.Since(t0)
			subs.Add(1)
			mu.Lock()
			subLat = append(subLat, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.SubmitElapsed = time.Since(subStart)
	cpu3 := procsCPU(pids)
	res.Submissions = subs.Load()
	res.Errors = errs.Load()
	if res.Submissions > 0 {
		res.SubmissionsPerSec = float64(res.Submissions) / res.SubmitElapsed.Seconds()
		res.CPUPerSubmission = (cpu3 - cpu2) / time.Duration(res.Submissions)
	}
	res.SubmitP99 = pct(subLat, 99)
	for _, p := range pids {
		hwm, rss := procMem(p)
		res.PeakRSS, res.RSSEnd = max(res.PeakRSS, hwm), max(res.RSSEnd, rss)
		for _, c := range children(p) {
			hwm, _ := procMem(c)
			res.CheckerPeakRSS = max(res.CheckerPeakRSS, hwm)
		}
	}
	res.WebhookRetries = api.PostRetries()
	for method, c := range api.Counts() {
		if !slices.Contains(telegramMethods, method) {
			method = "other"
		}
		res.TelegramCalls[method] += c.Calls
		res.TelegramRefused += c.Refused
	}
	res.GroupMessages = groupMsgs.Load()
	res.FirstErrors = firstErrs
	for i, done := range exited {
		select {
		case err := <-done:
			res.BotExit += fmt.Sprintf("replica %d: %v ", i, err)
			done <- err
		default:
		}
	}
	return res, nil
}

// scriptOnly are commands regbot issues only inside its Lua scripts, so
// they are no round trips of their own (INFO commandstats counts them).
// Since the session store reads a session inside its load script (with
// the chat's in-flight hash), HGETALL, HGET, HDEL and PTTL are among them;
// the one HGETALL outside a script (SessionStore.Peek) runs only for an
// orphaned update or a reminder, not per step. EXISTS too: the load
// script reads the query-password lock (QueryGuard.Locked, a call of its
// own, runs only if a store did not; adapters/redis
// TestQueryPasswordStepTakesTwoRoundTrips counts the calls themselves).
var scriptOnly = map[string]bool{"hmget": true, "pexpire": true, "zadd": true, "hset": true, "incr": true, "zrangebyscore": true, "zrem": true,
	"hgetall": true, "hget": true, "hdel": true, "pttl": true, "exists": true}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

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

// procsCPU is the summed CPU time of the processes.
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

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

const webhookSecret = "loadtest-webhook-secret"

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

// startSteps returns the open loop's start step of each of n slots, for a
// script of last steps: every step equally often (as j*last/n for j < n),
// dealt to the slots in a shuffled order. Slots take their turns in index
// order, so dealt in order (slot j at step j*last/n) each step would come
// as a burst of n/last updates in a row, once per round: a real
// population's applicants are at their steps independently. The shuffle is
// seeded, so that every run offers the same sequence.
func startSteps(n, last int) []int {
	steps := make([]int, n)
	for j := range steps {
		steps[j] = j * last / n
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
	return steps
}

// Print writes the figures and the SPEC §6 targets.
func (r *Result) Print(w io.Writer) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	// Some targets belong to one scenario: another run is not judged by them.
	closed, open := r.Mode == "closed" && !r.Webhook, r.Mode == "open"
	markIf := func(applies, ok bool) string {
		if !applies {
			return "not this scenario"
		}
		return mark(ok)
	}
	transport := "long polling"
	if r.Webhook {
		transport = fmt.Sprintf("webhook, %d replica(s), %d deliveries retried", r.Replicas, r.WebhookRetries)
	}
	fmt.Fprintf(w, "mode %s loop, %s, %d users, ", r.Mode, transport, r.Users)
	if r.Mode == "open" {
		fmt.Fprintf(w, "offered %.0f steps/s by %d users at a time, every step of the script equally represented (achieved %.0f%%; steps sent late: p99 %s late, counted in the latency)\n",
			r.Rate, r.Slots, 100*r.OfferedAchieved, ms(r.SendLagP99))
	} else {
		fmt.Fprintf(w, "%d active\n", r.Active)
	}
	window := ""
	if r.Mode == "open" {
		window = " measured (after a warm-up, until the first user slot ran out of users)"
	}
	fmt.Fprintf(w, "steps                 %d in %v%s (%d per registration; the submission is phase 2), errors %d, users to summary %d\n",
		r.Steps, r.Elapsed.Round(time.Millisecond), window, r.StepsPerRegistration, r.Errors, r.Completed)
	fmt.Fprintf(w, "steps/s               %.0f   [target >= 2500 closed loop 1000/50: %s]\n", r.StepsPerSec, markIf(closed, r.StepsPerSec >= 2500))
	fmt.Fprintf(w, "latency (sent->first reply) p50 %s p90 %s p99 %s max %s   [p99 target <= 20 ms at 1000/s open: %s]\n",
		ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), markIf(open, r.P99 <= 20*time.Millisecond))
	fmt.Fprintf(w, "  password steps: p50 %s p99 %s\n", ms(r.PwP50), ms(r.PwP99))
	for _, st := range r.SlowSteps {
		fmt.Fprintf(w, "  step %2d (reply %q): p50 %s p99 %s\n", st.Index+1, st.Want, ms(st.P50), ms(st.P99))
	}
	fmt.Fprintf(w, "bot CPU per step      %s   [target <= 0.30 ms, closed loop: %s] (bot CPU %.2f cores busy)\n",
		ms(r.CPUPerStep), markIf(closed, r.CPUPerStep <= 300*time.Microsecond), r.CPUUtilisation)
	// Besides the steps, a run has a few calls of its own: connection
	// set-up (HELLO) and the once-a-minute reminder claim. They add
	// thousandths; the target is met when the steps take 2.
	fmt.Fprintf(w, "redis round trips/step %.3f   [target <= 2: %s]; all commands incl. inside scripts %.2f\n",
		r.RedisCallsPerStep, mark(r.RedisCallsPerStep < 2.005), r.RedisCmdsPerStep)
	var names []string
	for n := range r.RedisByCmd {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprint(w, "  per step:")
	for _, n := range names {
		fmt.Fprintf(w, " %s %.2f", n, r.RedisByCmd[n])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "redis bytes per draft %.0f (MEMORY USAGE; session JSON %.0f)   [target <= 4096: %s]; %d keys\n",
		r.DraftBytes, r.DraftJSONBytes, mark(r.DraftBytes <= 4096), r.SessionKeys)
	fmt.Fprintf(w, "bot peak RSS          %.1f MiB (VmHWM; %.1f MiB at the end)   [target <= 48 MiB with 10000 drafts: %s]\n",
		float64(r.PeakRSS)/(1<<20), float64(r.RSSEnd)/(1<<20), markIf(r.Users >= 10000, r.PeakRSS <= 48<<20))
	fmt.Fprintf(w, "  bot RSS once polling, before any update: %.1f MiB; peak until the submissions began: %.1f MiB; its document checker (child process) peak %.1f MiB\n",
		float64(r.RSSReady)/(1<<20), float64(r.PeakRSSSteps)/(1<<20), float64(r.CheckerPeakRSS)/(1<<20))
	fmt.Fprintf(w, "CPU during the steps phase: bot %.1f s, load tool + fake Telegram %.1f s, redis-server %.1f s (wall %.1f s x 2 cores)\n",
		r.CPUUtilisation*r.Elapsed.Seconds(), r.LoadToolCPU.Seconds(), r.RedisCPU.Seconds(), r.Elapsed.Seconds())
	fmt.Fprintf(w, "submissions/s         %.0f (%d in %v, %d at once, p99 %s, bot CPU %s each)   [target >= 200: %s]\n",
		r.SubmissionsPerSec, r.Submissions, r.SubmitElapsed.Round(time.Millisecond), r.Active, ms(r.SubmitP99), ms(r.CPUPerSubmission),
		mark(r.SubmissionsPerSec >= 200))
	fmt.Fprint(w, "telegram calls:")
	for _, m := range telegramMethods {
		fmt.Fprintf(w, " %s %d", m, r.TelegramCalls[m])
	}
	fmt.Fprintf(w, "; refused %d; review group messages so far %d\n", r.TelegramRefused, r.GroupMessages)
	for _, e := range r.FirstErrors {
		fmt.Fprintln(w, "error:", e)
	}
	if r.BotExit != "" {
		fmt.Fprintln(w, "the bot exited early:", r.BotExit)
	}
}
