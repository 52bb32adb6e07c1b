package loadtest

// Phase 1 (every step of the script but the submission, in a closed or an
// open loop) and phase 2 (the submissions).

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// window is the measured part of phase 1: when it began and how long it
// lasted, and readings at its start (0) and end (1).
type window struct {
	start          time.Time
	elapsed        time.Duration
	cpu0, cpu1     time.Duration    // the bot processes, their children included
	kids0, kids1   time.Duration    // their children alone (the document checker)
	self0, self1   time.Duration    // this process: the users and the fake Bot API
	redis0, redis1 time.Duration    // redis-server
	stats0, stats1 map[string]int64 // INFO commandstats
}

// begin opens the measured window.
func (r *runner) begin(ctx context.Context) {
	w := &r.win
	w.stats0, _ = commandStats(ctx, r.rdb)
	own, kids := procsCPUSplit(r.pids)
	w.cpu0, w.kids0 = own+kids, kids
	w.self0, _ = procCPU(os.Getpid())
	w.redis0 = redisCPU(ctx, r.rdb)
	w.start = time.Now()
	if r.cfg.ProfileSeconds > 0 && r.cfg.OpsListen != "" {
		r.profiled = make(chan *CPUProfile, 1)
		go func() { r.profiled <- r.profileWindow(ctx, r.cfg.ProfileSeconds) }()
	}
}

// end closes the measured window: steps taken from now on are not recorded.
func (r *runner) end() {
	w := &r.win
	r.closed.Store(true)
	w.elapsed = time.Since(w.start)
	own, kids := procsCPUSplit(r.pids)
	w.cpu1, w.kids1 = own+kids, kids
	w.self1, _ = procCPU(os.Getpid())
	w.redis1 = redisCPU(context.Background(), r.rdb)
	w.stats1, _ = commandStats(context.Background(), r.rdb)
}

// closedLoop is phase 1 in a closed loop, measured throughout: every user
// goes through its script, paced, with at most Active steps in flight.
func (r *runner) closedLoop(ctx context.Context) {
	r.res.Mode = "closed"
	r.begin(ctx)
	sem := make(chan struct{}, max(r.cfg.Active, 1))
	var wg sync.WaitGroup
	for i, u := range r.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pace := r.newPacer()
			for k, st := range r.scripts[i][:r.last] {
				if !r.pace(ctx, pace, u, st) {
					return
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					r.fail(u, st, ctx.Err())
					return
				}
				ok := r.do(ctx, i, k, time.Now(), true)
				<-sem
				if !ok {
					return
				}
			}
			r.mu.Lock()
			r.ready[i] = true
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	r.end()
}

// openLoop is phase 1 in an open loop: the offered steps are due at a
// steady rate and are dealt round robin to slots, each slot a user who
// takes a step every slots/Rate seconds (below the per-chat limit) and,
// when done, hands over to the next user. So that every step of the
// script is equally represented at any moment, as in a real population, a
// warm-up (not measured) first brings each slot's user to its start step
// (startSteps); without it all users would move through the script in
// lockstep and each step would arrive as a wave (Rate updates a second of
// that one step, for users/Rate seconds). The window measured ends when
// the first slot runs out of users.
func (r *runner) openLoop(ctx context.Context) {
	r.res.Mode = "open"
	every := time.Second
	if r.cfg.ChatRate > 0 {
		every = time.Duration(1.25 * float64(time.Second) / r.cfg.ChatRate)
	}
	slots := max(1, min(r.cfg.Users, int(math.Ceil(r.cfg.Rate*every.Seconds()))))
	r.res.Slots = slots
	first := startSteps(slots, r.last)
	pacers := make([]*rate.Limiter, r.cfg.Users)
	for i := range pacers {
		pacers[i] = r.newPacer()
	}
	r.warmUp(ctx, first, pacers)
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
	r.logf("open loop: %d slots warmed up", slots)
	r.begin(ctx)
	r.measureOpen(ctx, first, pacers)
}

// warmUp brings the user of slot j to its start step first[j], with at
// most Active steps in flight; nothing is recorded.
func (r *runner) warmUp(ctx context.Context, first []int, pacers []*rate.Limiter) {
	sem := make(chan struct{}, max(r.cfg.Active, 1))
	var wg sync.WaitGroup
	for j := range first {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range first[j] {
				if !r.pace(ctx, pacers[j], r.order[j], r.scripts[j][k]) {
					return
				}
				sem <- struct{}{}
				ok := r.do(ctx, j, k, time.Now(), false)
				<-sem
				if !ok {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// measureOpen runs the slots from their start steps, each step due at its
// turn, until the first slot runs out of users; the window ends then.
func (r *runner) measureOpen(ctx context.Context, first []int, pacers []*rate.Limiter) {
	slots := len(first)
	var next atomic.Int64 // the next user to take over a slot
	next.Store(int64(slots))
	var dry sync.Once
	var wg sync.WaitGroup
	for j := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i, k := j, first[j]
			for n := 0; ; n++ {
				if k == r.last {
					r.mu.Lock()
					r.ready[i] = true
					r.mu.Unlock()
					i, k = int(next.Add(1)-1), 0
					if i >= r.cfg.Users {
						dry.Do(r.end)
						return
					}
				}
				due := r.win.start.Add(time.Duration(float64(j+n*slots) / r.cfg.Rate * float64(time.Second)))
				if d := time.Until(due); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				if !r.pace(ctx, pacers[i], r.order[i], r.scripts[i][0]) {
					return
				}
				measured := !r.closed.Load()
				if measured {
					r.mu.Lock()
					r.lags = append(r.lags, time.Since(due))
					r.mu.Unlock()
				}
				if !r.do(ctx, i, k, due, measured) {
					return
				}
				k++
			}
		}()
	}
	wg.Wait()
	dry.Do(r.end)
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

// newPacer returns a limiter that keeps a user below the bot's per-chat
// limit, or nil if the tool does not pace.
func (r *runner) newPacer() *rate.Limiter {
	if r.cfg.ChatRate > 0 {
		return rate.NewLimiter(rate.Limit(r.cfg.ChatRate), max(r.cfg.ChatBurst, 1))
	}
	return nil
}

// pace waits until p lets user u send, and reports false if the run ends
// first (an error of step st).
func (r *runner) pace(ctx context.Context, p *rate.Limiter, u *user, st step) bool {
	if p == nil {
		return true
	}
	if err := p.Wait(ctx); err != nil {
		r.fail(u, st, err)
		return false
	}
	return true
}

// do performs step k of user i and, if record, records its latency from
// sent. It reports false if the step failed: the user stops.
func (r *runner) do(ctx context.Context, i, k int, sent time.Time, record bool) bool {
	u, st := r.order[i], r.scripts[i][k]
	sctx, scancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
	first, err := u.do(sctx, st, r.pdfOf(i, k))
	scancel()
	if err != nil {
		r.fail(u, st, err)
		return false
	}
	if record {
		r.steps.Add(1)
		r.mu.Lock()
		r.samples = append(r.samples, sample{first.Sub(sent), st.password, k})
		r.mu.Unlock()
	}
	return true
}

// pdfOf is the file step k of user i uploads if it is a sendPDF step (the
// scripts alternate two).
func (r *runner) pdfOf(i, k int) []byte {
	sc := r.scripts[i]
	if sc[k].kind != sendPDF {
		return nil
	}
	n := 0
	for _, st := range sc[:k] {
		if st.kind == sendPDF {
			n++
		}
	}
	return r.pdfs[n%2]
}

// fail counts an error of user u at step st and keeps the first five.
func (r *runner) fail(u *user, st step, err error) {
	r.errs.Add(1)
	r.mu.Lock()
	if len(r.firstErrs) < 5 {
		r.firstErrs = append(r.firstErrs, fmt.Sprintf("chat %d at %q: %v", u.chatID, st.arg, err))
	}
	r.mu.Unlock()
}

// submit is phase 2: every user who reached the summary submits, Active at
// once, timed and with the bot's CPU read on their own.
func (r *runner) submit(ctx context.Context) {
	res := r.res
	var lat []time.Duration
	var subs atomic.Int64
	sem := make(chan struct{}, r.cfg.Active)
	cpu0 := procsCPU(r.pids)
	start := time.Now()
	var wg sync.WaitGroup
	for i, u := range r.order {
		if !r.ready[i] {
			continue
		}
		res.Completed++
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := r.scripts[i][r.last]
			sem <- struct{}{}
			defer func() { <-sem }()
			sctx, scancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
			defer scancel()
			t0 := time.Now()
			if _, err := u.do(sctx, st, nil); err != nil {
				r.fail(u, st, err)
				return
			}
			d := time.Since(t0)
			subs.Add(1)
			r.mu.Lock()
			lat = append(lat, d)
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	res.SubmitElapsed = time.Since(start)
	cpu1 := procsCPU(r.pids)
	res.Submissions = subs.Load()
	res.Errors = r.errs.Load()
	if res.Submissions > 0 {
		res.SubmissionsPerSec = float64(res.Submissions) / res.SubmitElapsed.Seconds()
		res.CPUPerSubmission = (cpu1 - cpu0) / time.Duration(res.Submissions)
	}
	res.SubmitP99 = pct(lat, 99)
}
