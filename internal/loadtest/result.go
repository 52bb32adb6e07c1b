package loadtest

// The figures of a run: computed from phase 1's records and readings, and
// collected from what the run leaves behind; and the report.

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// telegramMethods are the Bot API methods a Result counts by name, in the
// order of the report; "other" counts the rest.
var telegramMethods = []string{"getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
	"answerCallbackQuery", "deleteMessage", "getFile", "downloadFile", "sendDocument", "sendChatAction", "other"}

// Result holds the figures of a run.
type Result struct {
	Mode               string
	Users, Active      int
	Rate               float64
	Steps, Errors      int64
	Completed          int // users who reached the submit step
	Elapsed            time.Duration
	StepsPerSec        float64
	P50, P90, P99, Max time.Duration
	PwP50, PwP99       time.Duration // the password steps alone
	SlowSteps          []StepLatency // the steps of the script with the highest p99, slowest first
	RedisCmdsPerStep   float64
	RedisCallsPerStep  float64 // client round trips (EVALSHA counted once)
	RedisByCmd         map[string]float64
	DraftBytes         float64 // MEMORY USAGE of a session key, mean of a sample
	DraftJSONBytes     float64 // the session JSON alone
	CPUPerStep         time.Duration
	PeakRSS            int64 // VmHWM, bytes
	PeakRSSSteps       int64 // VmHWM at the end of the steps phase (before the submissions)
	RSSEnd             int64 // VmRSS at the end
	CheckerPeakRSS     int64 // VmHWM of the bot's document checker (a child process), bytes
	// PeakPSS is the highest proportional set size of the bot processes
	// and their document checkers together, sampled every pssEvery from
	// the bot's start to the end of the run (pages both map, such as the
	// binary's, count once); PeakPSSBots and PeakPSSCheckers are its parts
	// at that moment.
	PeakPSS, PeakPSSBots, PeakPSSCheckers int64
	CheckerCPUPerStep                     time.Duration // the checker's share of CPUPerStep
	Submissions                           int64
	SubmitElapsed                         time.Duration
	SubmissionsPerSec                     float64
	SubmitP99                             time.Duration
	CPUPerSubmission                      time.Duration
	TelegramCalls                         map[string]int64 // by method; see telegramMethods
	ChatRate                              float64          // the users' pacing (0: none)
	ChatBurst                             int
	LimitLifted                           bool  // the bot ran with CHAT_RATE_LIMIT=off
	TelegramRefused                       int64 // calls the fake answered with an error
	GroupMessages                         int64
	FirstErrors                           []string
	BotExit                               string
	SessionKeys                           int64
	StepsPerRegistration                  int
	OfferedAchieved                       float64
	CPUUtilisation                        float64 // bot CPU seconds / wall seconds during the steps phase
	Replicas                              int
	Webhook                               bool
	WebhookRetries                        int64         // webhook deliveries answered with an error or not at all, sent again
	SendLagP99                            time.Duration // open loop: how late steps were sent after they were due (the user's previous reply or its pacing held it)
	Slots                                 int           // open loop: users taking steps at once (see openLoop)
	RSSReady                              int64         // VmRSS once the bot polls, before any update
	LoadToolCPU                           time.Duration // this process (users and fake Telegram) during the steps phase
	RedisCPU                              time.Duration // redis-server during the steps phase (INFO cpu)
	Profile                               *CPUProfile   // the bot's CPU during the window, if profiled

	// The form-save scenario (form.go): saves accepted and refused,
	// the rate offered, the tool's round trips; P50…Max are then the
	// saves' server-side times and CPUPerStep, the Redis figures and
	// StepsPerSec are per save.
	FormSaves, FormErrors        int64
	FormRate                     float64
	FormClientP50, FormClientP99 time.Duration
	FormFirst                    int // each user's first save: every field new
	FormFirstP50, FormFirstP99   time.Duration
	FormEngineP50, FormEngineP99 time.Duration // the part of a save in the engine
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

// stepFigures computes phase 1's figures from the window's readings and
// the samples, then reads the drafts (complete now: the largest they get)
// and the bots' peak RSS so far.
func (r *runner) stepFigures() {
	res, w := r.res, &r.win
	res.LoadToolCPU = w.self1 - w.self0
	res.RedisCPU = w.redis1 - w.redis0
	res.Steps, res.Errors, res.Elapsed = r.steps.Load(), r.errs.Load(), w.elapsed
	res.StepsPerSec = float64(res.Steps) / w.elapsed.Seconds()
	if r.cfg.Rate > 0 {
		res.OfferedAchieved = res.StepsPerSec / r.cfg.Rate
	}
	res.CPUUtilisation = (w.cpu1 - w.cpu0).Seconds() / w.elapsed.Seconds()
	all := make([]time.Duration, 0, len(r.samples))
	var pw []time.Duration
	for _, s := range r.samples {
		all = append(all, s.d)
		if s.password {
			pw = append(pw, s.d)
		}
	}
	res.P50, res.P90, res.P99, res.Max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	res.SendLagP99 = pct(r.lags, 99)
	res.PwP50, res.PwP99 = pct(pw, 50), pct(pw, 99)
	res.SlowSteps = slowSteps(r.samples, r.scripts[0], 5)
	if res.Steps > 0 {
		res.CPUPerStep = (w.cpu1 - w.cpu0) / time.Duration(res.Steps)
		res.CheckerCPUPerStep = (w.kids1 - w.kids0) / time.Duration(res.Steps)
		res.RedisByCmd, res.RedisCmdsPerStep, res.RedisCallsPerStep = redisPerStep(w.stats0, w.stats1, res.Steps)
	}
	res.DraftBytes, res.DraftJSONBytes, res.SessionKeys = draftSize(context.Background(), r.rdb, r.order)
	r.logf("steps phase: %d steps in %v (%.0f/s), %d errors", res.Steps, w.elapsed.Round(time.Millisecond), res.StepsPerSec, res.Errors)
	for _, p := range r.pids {
		hwm, _ := procMem(p)
		res.PeakRSSSteps = max(res.PeakRSSSteps, hwm)
	}
	if r.profiled != nil {
		res.Profile = <-r.profiled
	}
}

// redisPerStep returns the commands per step by name between two INFO
// commandstats readings, all commands per step, and the round trips per
// step (the commands that are not scriptOnly).
func redisPerStep(before, after map[string]int64, steps int64) (byCmd map[string]float64, cmds, calls float64) {
	byCmd = map[string]float64{}
	for name, n := range after {
		d := float64(n - before[name])
		if d <= 0 {
			continue
		}
		byCmd[name] = d / float64(steps)
		cmds += d
		if !scriptOnly[name] {
			calls += d
		}
	}
	return byCmd, cmds / float64(steps), calls / float64(steps)
}

// collect reads what the run leaves behind: the bots' and their document
// checkers' peak memory, the fake's calls, the first errors and whether a
// bot exited early.
func (r *runner) collect() {
	res := r.res
	for _, p := range r.pids {
		hwm, rss := procMem(p)
		res.PeakRSS, res.RSSEnd = max(res.PeakRSS, hwm), max(res.RSSEnd, rss)
		for _, c := range childrenOf(p) {
			hwm, _ := procMem(c)
			res.CheckerPeakRSS = max(res.CheckerPeakRSS, hwm)
		}
	}
	r.mem.sample(r.pids)
	r.mem.mu.Lock()
	res.PeakPSS, res.PeakPSSBots, res.PeakPSSCheckers = r.mem.total, r.mem.bots, r.mem.children
	r.mem.mu.Unlock()
	res.WebhookRetries = r.api.PostRetries()
	for method, c := range r.api.Counts() {
		if !slices.Contains(telegramMethods, method) {
			method = "other"
		}
		res.TelegramCalls[method] += c.Calls
		res.TelegramRefused += c.Refused
	}
	res.GroupMessages = r.groupMsgs.Load()
	res.FirstErrors = r.firstErrs
	for i, b := range r.bots {
		select {
		case err := <-b.done:
			res.BotExit += fmt.Sprintf("replica %d: %v ", i, err)
			b.done <- err
		default:
		}
	}
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// Print writes the figures, then those of SPEC §6 that the run measures
// with their targets.
func (r *Result) Print(w io.Writer) {
	if r.Mode == "form" {
		r.printForm(w)
		for _, e := range r.FirstErrors {
			fmt.Fprintln(w, "error:", e)
		}
		if r.BotExit != "" {
			fmt.Fprintln(w, "the bot exited early:", r.BotExit)
		}
		r.printFigures(w)
		return
	}
	r.printSteps(w)
	r.printCosts(w)
	fmt.Fprintf(w, "submissions/s         %.0f (%d in %v, %d at once, p99 %s, bot CPU %s each)\n",
		r.SubmissionsPerSec, r.Submissions, r.SubmitElapsed.Round(time.Millisecond), r.Active, ms(r.SubmitP99), ms(r.CPUPerSubmission))
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
	r.Profile.Print(w)
	r.printFigures(w)
}

// printFigures writes the SPEC §6 figures of the run with their targets.
func (r *Result) printFigures(w io.Writer) {
	if figs := r.Figures(); len(figs) > 0 {
		fmt.Fprintln(w, "SPEC §6 figures of this run (target, measured):")
		PrintFigures(w, figs)
	} else {
		fmt.Fprintf(w, "SPEC §6 figures: none; this is not one of its scenarios (closed loop %d users/%d active, open loop %d/s, %d drafts, long polling; form saves at %d/s)\n",
			specUsers, specActive, specRate, specDrafts, specFormRate)
	}
}

// printSteps writes the scenario, the steps' throughput and their latency.
func (r *Result) printSteps(w io.Writer) {
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
	fmt.Fprintf(w, "pacing                %s\n", r.pacing())
	window := ""
	if r.Mode == "open" {
		window = " measured (after a warm-up, until the first user slot ran out of users)"
	}
	fmt.Fprintf(w, "steps                 %d in %v%s (%d per registration; the submission is phase 2), errors %d, users to summary %d\n",
		r.Steps, r.Elapsed.Round(time.Millisecond), window, r.StepsPerRegistration, r.Errors, r.Completed)
	fmt.Fprintf(w, "steps/s               %.0f\n", r.StepsPerSec)
	fmt.Fprintf(w, "latency (sent->first reply) p50 %s p90 %s p99 %s max %s\n", ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "  password steps: p50 %s p99 %s\n", ms(r.PwP50), ms(r.PwP99))
	for _, st := range r.SlowSteps {
		fmt.Fprintf(w, "  step %2d (reply %q): p50 %s p99 %s\n", st.Index+1, st.Want, ms(st.P50), ms(st.P99))
	}
}

// printCosts writes what the steps cost: the bot's CPU, Redis, memory.
func (r *Result) printCosts(w io.Writer) {
	fmt.Fprintf(w, "bot CPU per step      %s, its document checker included (%s of it) (bot CPU %.2f cores busy)\n",
		ms(r.CPUPerStep), ms(r.CheckerCPUPerStep), r.CPUUtilisation)
	// Besides the steps, a run has a few calls of its own: connection
	// set-up (HELLO) and the once-a-minute reminder claim. They add
	// thousandths.
	fmt.Fprintf(w, "redis round trips/step %.3f; all commands incl. inside scripts %.2f\n",
		r.RedisCallsPerStep, r.RedisCmdsPerStep)
	fmt.Fprint(w, "  per step:")
	for _, n := range slices.Sorted(maps.Keys(r.RedisByCmd)) {
		fmt.Fprintf(w, " %s %.2f", n, r.RedisByCmd[n])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "redis bytes per draft %.0f (MEMORY USAGE; session JSON %.0f); %d keys\n",
		r.DraftBytes, r.DraftJSONBytes, r.SessionKeys)
	fmt.Fprintf(w, "peak PSS              %s, bot and its document checker together (bot %s + checker %s at that moment; smaps_rollup every %v)\n",
		mib(r.PeakPSS), mib(r.PeakPSSBots), mib(r.PeakPSSCheckers), pssEvery)
	fmt.Fprintf(w, "peak RSS              bot %s (VmHWM; %s at the end), checker %s; bot once polling, before any update: %s; bot until the submissions began: %s\n",
		mib(r.PeakRSS), mib(r.RSSEnd), mib(r.CheckerPeakRSS), mib(r.RSSReady), mib(r.PeakRSSSteps))
	fmt.Fprintf(w, "CPU during the steps phase: bot %.1f s, load tool + fake Telegram %.1f s, redis-server %.1f s (wall %.1f s x 2 cores)\n",
		r.CPUUtilisation*r.Elapsed.Seconds(), r.LoadToolCPU.Seconds(), r.RedisCPU.Seconds(), r.Elapsed.Seconds())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
