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
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
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
	// FormRate, if set, runs the form-save scenario instead (form.go):
	// FormRate saves of the Mini App form a second, FormSaves of them
	// (default 30 s worth).
	FormRate  float64
	FormSaves int
	// ProfileSeconds, with OpsListen, takes a CPU profile of the bot for
	// that long from the start of the measured window (Result.Profile).
	ProfileSeconds int
	Log            io.Writer
}

// withDefaults returns cfg with its unset fields at their defaults.
func (cfg Config) withDefaults() Config {
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
	return cfg
}

// Run performs the load run described by cfg, in stages: the users and
// their marketing accounts, the fakes (Bot API, marketing system), the
// bot process(es) until ready, phase 1 (every step but the submission, in
// a closed or an open loop, measured), its figures, phase 2 (the
// submissions, timed on their own) and what is left to count.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Users <= 0 || len(cfg.Bot) == 0 {
		return nil, errors.New("loadtest: no users or no bot command")
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	r := newRunner(cfg)
	defer r.stop()
	if err := r.startFakes(); err != nil {
		return nil, err
	}
	if err := r.startBots(ctx); err != nil {
		return nil, err
	}
	if cfg.FormRate > 0 {
		r.formLoop(ctx)
		r.collect()
		return r.res, nil
	}
	memCtx, stopMem := context.WithCancel(ctx)
	defer stopMem()
	go r.mem.watch(memCtx, func() []int { return r.pids }, pssEvery)
	if cfg.Rate > 0 {
		r.openLoop(ctx)
	} else {
		r.closedLoop(ctx)
	}
	r.stepFigures()
	r.submit(ctx)
	r.collect()
	return r.res, nil
}

// runner is the state a run's stages share.
type runner struct {
	cfg Config
	res *Result
	run string // this run's id: in login names and accounts

	// formBases are the form's addresses on the bots (the form scenario).
	formBases []string

	// The simulated users, by chat ID (for the fake's events) and in
	// order, with their marketing accounts and scripts.
	users    map[int64]*user
	order    []*user
	accounts []marketingsim.Account
	scripts  [][]step
	pdfs     [][]byte // the files the scripts upload, alternately
	last     int      // the submission's index in a script: phase 1 stops before it

	api       *telegramtest.Server
	fakeOpts  []telegramtest.Option    // more options of the fake Bot API
	onGroup   func(telegramtest.Event) // told of the bot's messages to the review group (with the fake's lock held)
	groupMsgs atomic.Int64             // the bot's messages to the review group
	simAddr   string
	stopSim   context.CancelFunc
	rdb       *goredis.Client
	bots      []*botProcess
	pids      []int
	envs      [][]string // each replica's environment, to restart it

	// Phase 1's records; mu guards samples, lags, firstErrs and ready.
	mu          sync.Mutex
	samples     []sample
	lags        []time.Duration
	firstErrs   []string
	ready       []bool // users at the summary, for phase 2
	steps, errs atomic.Int64
	win         window
	mem         memPeak          // the bots' and their checkers' PSS
	profiled    chan *CPUProfile // the window's CPU profile, if one is taken
	closed      atomic.Bool      // the measured window has ended
}

// newRunner prepares cfg.Users simulated users, each with a marketing
// account of its own (metering points are unique per active application)
// and its script.
func newRunner(cfg Config) *runner {
	run := strconv.FormatInt(time.Now().Unix()%1000, 10)
	for len(run) < 3 {
		run = "0" + run
	}
	base := int64(9_000_000_000) + (time.Now().UnixNano()/1000)%1_000_000_000*10 // chat ids unique per run
	r := &runner{
		cfg: cfg,
		run: run,
		res: &Result{Users: cfg.Users, Active: cfg.Active, Rate: cfg.Rate, Replicas: max(cfg.Replicas, 1), Webhook: cfg.Webhook,
			TelegramCalls: map[string]int64{}, ChatRate: cfg.ChatRate, ChatBurst: cfg.ChatBurst,
			LimitLifted: cfg.ChatRate == 0 && slices.Contains(cfg.Env, "CHAT_RATE_LIMIT=off")},
		users:    map[int64]*user{},
		order:    make([]*user, cfg.Users),
		accounts: make([]marketingsim.Account, cfg.Users),
		scripts:  make([][]step, cfg.Users),
		pdfs:     [][]byte{conversationtest.PDF("catalog"), conversationtest.PDF("licence")},
		ready:    make([]bool, cfg.Users),
	}
	template := marketingsim.DefaultAccounts()[0].Points
	for i := range cfg.Users {
		u := newUser(base+int64(i), fmt.Sprintf("用户%d", i))
		r.users[u.chatID] = u
		r.order[i] = u
		acct := fmt.Sprintf("7%s%06d", run, i)
		pts := make([]domain.MeteringPoint, len(template))
		for k, p := range template {
			p.ID = fmt.Sprintf("%s%03d", acct, k+1)
			pts[k] = p
		}
		r.accounts[i] = marketingsim.Account{Number: acct, QueryPassword: queryPassword, Points: pts}
		r.scripts[i] = script(run, i, acct)
	}
	r.res.StepsPerRegistration = len(r.scripts[0])
	r.last = len(r.scripts[0]) - 1
	r.samples = make([]sample, 0, cfg.Users*len(r.scripts[0]))
	return r
}

// startFakes starts the fake Bot API and the marketing simulator, and
// connects to the bot's Redis for its figures.
func (r *runner) startFakes() error {
	// The fake keeps a few messages per chat and tells each user about
	// the bot's messages and edits in its chat as they happen.
	opts := append([]telegramtest.Option{telegramtest.WithLean(keepMessages + 4), telegramtest.WithEvents(r.event)}, r.fakeOpts...)
	api, err := telegramtest.NewServer(opts...)
	if err != nil {
		return err
	}
	r.api = api
	for _, u := range r.order {
		u.api = api
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sim := marketingsim.New(r.accounts)
	simCtx, stopSim := context.WithCancel(context.Background())
	r.simAddr, r.stopSim = ln.Addr().String(), stopSim
	go func() { _ = sim.Serve(simCtx, ln) }()

	r.rdb, err = redisClient(r.cfg.RedisURL)
	return err
}

// event is told by the fake Bot API of a message the bot sent or changed.
// users is fixed before the fake starts, so it is read without a lock.
func (r *runner) event(ev telegramtest.Event) {
	if u := r.users[ev.Message.ChatID]; u != nil {
		u.event(ev)
	} else if ev.Method == "sendMessage" || ev.Method == "sendDocument" {
		r.groupMsgs.Add(1) // the review group
		if r.onGroup != nil {
			r.onGroup(ev)
		}
	}
}

// startBots starts the bot as its own process (or Replicas processes in
// webhook mode) and waits until it is ready: once it polls, or once every
// replica has set its webhook.
func (r *runner) startBots(ctx context.Context) error {
	var hooks []string
	for i := range r.res.Replicas {
		hook, err := r.startBot(i)
		if err != nil {
			return err
		}
		if hook != "" {
			hooks = append(hooks, hook)
		}
	}
	ready := func() bool {
		if r.cfg.Webhook {
			return r.api.Counts()["setWebhook"].Calls >= int64(len(hooks))
		}
		return r.api.Counts()["getUpdates"].Calls > 0
	}
	for !ready() {
		select {
		case err := <-r.bots[0].done:
			r.bots[0].done <- err // stop waits for it
			return fmt.Errorf("loadtest: the bot exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	if r.cfg.Webhook {
		time.Sleep(200 * time.Millisecond) // setWebhook is answered before the listener serves
		r.api.PostUpdates(hooks, webhookSecret)
	}
	r.logf("bot pids %v, fake Telegram %s, webhook %v; %d users", r.pids, r.api.URL(), r.cfg.Webhook, r.cfg.Users)
	_, r.res.RSSReady = procMem(r.pids[0])
	return nil
}

// botProcess is a running bot; done holds its exit once it has exited
// (whoever takes it puts it back).
type botProcess struct {
	cmd  *exec.Cmd
	done chan error
}

// startBot starts replica i and returns its webhook URL in webhook mode.
func (r *runner) startBot(i int) (hook string, err error) {
	cfg := r.cfg
	env := append(os.Environ(), cfg.Env...)
	env = append(env,
		"TELEGRAM_BOT_TOKEN="+r.api.Token,
		"TELEGRAM_API_URL="+r.api.URL(),
		"MARKETING_URL=http://"+r.simAddr,
		"REVIEW_CHAT_ID="+strconv.FormatInt(cfg.ReviewChat, 10),
		"REVIEWER_IDS=1",
		"HTTP_LISTEN=off", // replicas would share 127.0.0.1:9090
	)
	if cfg.OpsListen != "" && i == 0 {
		env = append(env, "HTTP_LISTEN="+cfg.OpsListen, "PPROF=true")
	}
	formAddr := ""
	if cfg.FormRate > 0 {
		env = append(env, "WEBAPP_URL="+webAppURL)
		if !cfg.Webhook { // on the ops listener
			if cfg.OpsListen != "" && i == 0 {
				formAddr = cfg.OpsListen
			} else if formAddr, err = devstack.FreeAddr(); err != nil {
				return "", err
			}
			env = append(env, "HTTP_LISTEN="+formAddr)
		}
	}
	if cfg.Webhook {
		addr, err := devstack.FreeAddr()
		if err != nil {
			return "", err
		}
		// TLS ends in front of the bot: Telegram is told an https URL,
		// the fake posts plain HTTP to the listener, as a proxy would.
		env = append(env, "WEBHOOK_URL=https://replica"+strconv.Itoa(i)+".loadtest.invalid/telegram",
			"WEBHOOK_LISTEN="+addr, "WEBHOOK_SECRET="+webhookSecret)
		hook = "http://" + addr + "/telegram"
		formAddr = addr // the form beside the webhook
	}
	if cfg.FormRate > 0 {
		r.formBases = append(r.formBases, "http://"+formAddr+"/webapp/")
	}
	b, err := r.launch(env)
	if err != nil {
		return "", err
	}
	r.envs = append(r.envs, env)
	r.bots = append(r.bots, b)
	r.pids = append(r.pids, b.cmd.Process.Pid)
	return hook, nil
}

// restartBot starts replica i again, as it was started (same listen
// address), once its process has exited.
func (r *runner) restartBot(i int) error {
	b, err := r.launch(r.envs[i])
	if err != nil {
		return err
	}
	r.bots[i], r.pids[i] = b, b.cmd.Process.Pid
	return nil
}

// launch runs the bot with env.
func (r *runner) launch(env []string) (*botProcess, error) {
	cfg := r.cfg
	cmd := exec.Command(cfg.Bot[0], cfg.Bot[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = cfg.Log, cfg.Log
	if cfg.Log == nil {
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: start bot: %w", err)
	}
	b := &botProcess{cmd: cmd, done: make(chan error, 1)}
	go func() { b.done <- cmd.Wait() }()
	return b, nil
}

// stop ends what the run started, the newest first.
func (r *runner) stop() {
	for _, b := range slices.Backward(r.bots) {
		b.stop()
	}
	if r.rdb != nil {
		r.rdb.Close()
	}
	if r.stopSim != nil {
		r.stopSim()
	}
	if r.api != nil {
		r.api.Close()
	}
}

// stop asks the bot to shut down and kills it after 10 s.
func (b *botProcess) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.done:
		b.done <- err
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		b.done <- <-b.done
	}
}

func (r *runner) logf(format string, a ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", a...)
	}
}

const webhookSecret = "loadtest-webhook-secret"

// pssEvery is how often the bots' PSS is sampled (reading smaps_rollup
// walks the process's page tables: a fraction of a millisecond).
const pssEvery = 100 * time.Millisecond
