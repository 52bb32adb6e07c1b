package loadtest

// The chaos run (RunChaos, `regbot-dev loadtest -chaos`): two replicas of
// the production binary in webhook mode; the fake Bot API posts each
// update to one of them and, when the delivery fails, posts it again with
// the same update_id to the other one until it is answered, as Telegram
// does; a killer SIGKILLs a random replica at random moments and restarts
// it on its listen address; meanwhile applicants register, each through
// the whole script, submission included. At the end it counts what
// SPEC §6's last row and issue 19 ask for: one application per applicant,
// no answer later than the redelivery delay, every secret-bearing message
// deleted, one review card per application.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/bot/telegramtest"
)

// Chaos configures a chaos run.
type Chaos struct {
	// Kills is how many times a random replica is SIGKILLed while the
	// applicants register; each is restarted on its address at once, and
	// the next kill waits until it is serving again (one replica down at
	// a time).
	Kills int
	// Think is an applicant's mean pause before each step (drawn between
	// 0 and twice it). 0: long enough for the registrations to outlast
	// the kills (1.5 s of the run per kill).
	Think time.Duration
	// MaxWait bounds how long an applicant may wait for the answer to a
	// message: the redelivery delay. Default 5 s: a killed replica's
	// heartbeat lapses within 3 s, then another replica takes its updates
	// over (adapters/redis), and the fake redelivers every 100 ms.
	MaxWait time.Duration
	// DatabaseURL is the bots' Postgres, where the applications are
	// counted.
	DatabaseURL string
	// Seed drives the killer's and the applicants' choices; 0: the clock.
	Seed uint64
}

const (
	// chaosNoticeLease is the bots' NOTICE_LEASE: a killed replica's
	// claimed notice goes out this long after the kill, and the run waits
	// for it. Short, yet far above what sending a card and its two PDFs
	// takes with the group's limit lifted.
	chaosNoticeLease = 5 * time.Second
	// chaosSettle bounds the wait, after the last applicant, for the
	// deletions and the review cards still due.
	chaosSettle = 60 * time.Second
	// killAtMost is the share of the run's steps within which the kills
	// fall, so that the last ones still hit registrations in progress.
	killAtMost = 0.9
	// cardPrefix opens a review card of a new application (review.new).
	cardPrefix = "新注册申请"
)

var referenceRE = regexp.MustCompile(`CQ-\d{8}-\d{6,}`)

// ChaosResult holds a chaos run's counts; Problems lists what is not as
// it must be.
type ChaosResult struct {
	Users, Replicas int
	Seed            uint64
	Think           time.Duration
	Elapsed         time.Duration // the applicants' part

	Kills, KillsWanted int
	// The kills by moment: as an answer reached an applicant, as a
	// review card reached the group, or at a random moment.
	KillsAtAnswer, KillsAtCard, KillsAtRandom int
	KillError                                 string
	Redelivered                               int64 // updates posted more than once (their first delivery failed)
	FailedDeliveries                          int64 // deliveries not answered 200

	Steps, Errors int64
	FirstErrors   []string
	Repeats       int // the bot sent a chat the text it had just sent (a question asked again)

	Told                  int // applicants told their application was submitted
	OneApplication        int // applicants with exactly one application in Postgres
	NoApplication         int
	DuplicateApplications int // applications beyond the first of an applicant

	MaxWait, WaitP99, WaitBound time.Duration
	MaxWaitStep                 string
	OverBound                   int // answers later than WaitBound

	Secrets, SecretsDeleted int

	Cards, DuplicateCards, MissingCards int // review cards of new applications
	// DuplicateCardsInWindow are the duplicate cards of notices claimed
	// again after a kill that came between the card's first copy and its
	// next: the replica died after Telegram took the card and before the
	// notice was marked sent, and delivery is at least once.
	DuplicateCardsInWindow        int
	GroupDocuments                int
	NoticesUnsent, NoticesGivenUp int
}

// Problems lists every count that is not what it must be.
func (c *ChaosResult) Problems() []string {
	var p []string
	if c.Kills < c.KillsWanted {
		p = append(p, fmt.Sprintf("%d kills, want %d (the registrations ended first%s)", c.Kills, c.KillsWanted, ifs(c.KillError != "", ": "+c.KillError)))
	}
	if c.Errors > 0 {
		p = append(p, fmt.Sprintf("%d applicants stopped (no answer within the step timeout)", c.Errors))
	}
	if c.Told != c.Users || c.OneApplication != c.Users {
		p = append(p, fmt.Sprintf("%d of %d applicants told submitted, %d with one application", c.Told, c.Users, c.OneApplication))
	}
	if c.DuplicateApplications > 0 {
		p = append(p, fmt.Sprintf("%d duplicate applications", c.DuplicateApplications))
	}
	if c.OverBound > 0 {
		p = append(p, fmt.Sprintf("%d answers later than %v (max %v)", c.OverBound, c.WaitBound, c.MaxWait.Round(time.Millisecond)))
	}
	if c.SecretsDeleted != c.Secrets {
		p = append(p, fmt.Sprintf("%d secret-bearing messages left in the chats", c.Secrets-c.SecretsDeleted))
	}
	if n := c.DuplicateCards - c.DuplicateCardsInWindow; n > 0 {
		p = append(p, fmt.Sprintf("%d duplicate review cards not explained by a kill in the outbox's at-least-once window", n))
	}
	if c.MissingCards > 0 || c.NoticesUnsent > 0 || c.NoticesGivenUp > 0 {
		p = append(p, fmt.Sprintf("%d applications without a review card (%d notices unsent, %d given up)", c.MissingCards, c.NoticesUnsent, c.NoticesGivenUp))
	}
	return p
}

func ifs(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// Print writes the counts and the verdict.
func (c *ChaosResult) Print(w io.Writer) {
	fmt.Fprintf(w, "chaos run: %d applicants, %d webhook replicas, seed %d, think %v; %v\n",
		c.Users, c.Replicas, c.Seed, c.Think, c.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "kills                      %d (SIGKILL, restarted on the same address; wanted %d): %d as an answer reached an applicant, %d as a review card reached the group, %d at random moments\n",
		c.Kills, c.KillsWanted, c.KillsAtAnswer, c.KillsAtCard, c.KillsAtRandom)
	fmt.Fprintf(w, "redeliveries               %d updates posted again (same update_id), %d failed deliveries\n", c.Redelivered, c.FailedDeliveries)
	fmt.Fprintf(w, "steps answered             %d; applicants stopped %d; questions asked again %d\n", c.Steps, c.Errors, c.Repeats)
	fmt.Fprintf(w, "registrations submitted    %d of %d told so; %d with exactly one application in Postgres, %d with none\n",
		c.Told, c.Users, c.OneApplication, c.NoApplication)
	fmt.Fprintf(w, "duplicate applications     %d\n", c.DuplicateApplications)
	fmt.Fprintf(w, "longest wait for an answer %v (step %q), p99 %v; over the redelivery delay %v: %d\n",
		c.MaxWait.Round(time.Millisecond), c.MaxWaitStep, c.WaitP99.Round(time.Millisecond), c.WaitBound, c.OverBound)
	fmt.Fprintf(w, "secret messages deleted    %d of %d (ID number, both passwords, query password)\n", c.SecretsDeleted, c.Secrets)
	fmt.Fprintf(w, "review cards               %d for %d applications: %d duplicate, %d missing; %d documents; notices unsent %d, given up %d\n",
		c.Cards, c.OneApplication+c.DuplicateApplications, c.DuplicateCards, c.MissingCards, c.GroupDocuments, c.NoticesUnsent, c.NoticesGivenUp)
	if c.DuplicateCards > 0 {
		fmt.Fprintf(w, "  of the duplicates, %d sent again after a kill between Telegram taking the card and the notice marked sent\n"+
			"  (the notices outbox delivers at least once: docs/performance.md, \"The chaos run\")\n", c.DuplicateCardsInWindow)
	}
	for _, e := range c.FirstErrors {
		fmt.Fprintln(w, "error:", e)
	}
	if p := c.Problems(); len(p) > 0 {
		fmt.Fprintln(w, "FAILED:", strings.Join(p, "; "))
	} else {
		fmt.Fprintln(w, "PASSED")
	}
}

// chaosRun is a chaos run's state besides the runner's.
type chaosRun struct {
	r   *runner
	ch  Chaos
	res *ChaosResult

	progress  atomic.Int64  // steps answered
	wake      chan struct{} // capacity 1: progress moved (an answer reached an applicant)
	carded    chan struct{} // capacity 1: a review card reached the group
	usersDone chan struct{}
	kills     []time.Time // written by the killer, read once it is done

	mu    sync.Mutex
	waits []time.Duration
	max   time.Duration
	maxAt string
	told  int

	group     sync.Mutex
	cards     map[string][]time.Time // review cards by reference, when each came
	documents int
}

// RunChaos performs a chaos run: cfg.Users applicants, cfg.Chaos.Kills
// kills, two replicas (cfg.Replicas if more). The bots' per-chat and
// review-group limits are lifted and their NOTICE_LEASE is short
// (chaosNoticeLease); cfg.Rate, Active and the pacing are not used. It
// returns the counts; check ChaosResult.Problems.
func RunChaos(ctx context.Context, cfg Config, ch Chaos) (*ChaosResult, error) {
	if cfg.Users <= 0 || len(cfg.Bot) == 0 || ch.DatabaseURL == "" {
		return nil, errors.New("loadtest: chaos: no users, no bot command or no database")
	}
	cfg.Webhook, cfg.Replicas, cfg.ChatRate, cfg.Rate = true, max(cfg.Replicas, 2), 0, 0
	cfg = cfg.withDefaults()
	// The caller's environment comes last: -bot-env may set these too.
	cfg.Env = append([]string{"CHAT_RATE_LIMIT=off", "REVIEW_RATE_LIMIT=off", "NOTICE_LEASE=" + chaosNoticeLease.String()}, cfg.Env...)
	if ch.Seed == 0 {
		ch.Seed = uint64(time.Now().UnixNano())
	}
	if ch.MaxWait <= 0 {
		ch.MaxWait = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	r := newRunner(cfg)
	defer r.stop()
	r.fakeOpts = []telegramtest.Option{telegramtest.WithPostRetry(100*time.Millisecond, 0)}
	steps := len(r.scripts[0])
	if ch.Think <= 0 {
		ch.Think = max(100*time.Millisecond, time.Duration(ch.Kills)*1500*time.Millisecond/time.Duration(steps))
	}
	c := &chaosRun{r: r, ch: ch, wake: make(chan struct{}, 1), carded: make(chan struct{}, 1), usersDone: make(chan struct{}), cards: map[string][]time.Time{},
		res: &ChaosResult{Users: cfg.Users, Replicas: cfg.Replicas, Seed: ch.Seed, Think: ch.Think, KillsWanted: ch.Kills, WaitBound: ch.MaxWait}}
	r.onGroup = c.groupEvent
	for _, u := range r.order {
		u.chaos, u.deleted = true, map[int]bool{}
	}
	if err := r.startFakes(); err != nil {
		return nil, err
	}
	if err := c.startBots(ctx); err != nil {
		return nil, err
	}

	start := time.Now()
	var killer sync.WaitGroup
	killer.Go(func() { c.killer(ctx, int64(cfg.Users*steps)) })
	var users sync.WaitGroup
	for i := range r.order {
		users.Go(func() { c.applicant(ctx, i) })
	}
	users.Wait()
	close(c.usersDone)
	killer.Wait()
	c.res.Elapsed = time.Since(start)
	r.logf("chaos: applicants done after %v, %d kills", c.res.Elapsed.Round(time.Millisecond), c.res.Kills)

	if err := c.settle(ctx); err != nil {
		return nil, err
	}
	return c.res, nil
}

// startBots starts the replicas and waits until each has set its webhook
// (its listener is bound by then), then has the fake post to them.
func (c *chaosRun) startBots(ctx context.Context) error {
	r := c.r
	var hooks []string
	for i := range r.res.Replicas {
		hook, err := r.startBot(i)
		if err != nil {
			return err
		}
		hooks = append(hooks, hook)
	}
	for i, b := range r.bots {
		if err := c.awaitServing(ctx, b, int64(i+1)); err != nil {
			return err
		}
	}
	r.api.PostUpdates(hooks, webhookSecret)
	r.logf("chaos: replicas %v on %v, fake Telegram %s; %d applicants", r.pids, hooks, r.api.URL(), r.cfg.Users)
	return nil
}

// awaitServing waits until the fake has seen setWebhook calls bringing
// the count to n: a replica calls it once its webhook listener is bound.
// It fails if b exits first.
func (c *chaosRun) awaitServing(ctx context.Context, b *botProcess, n int64) error {
	var exit error
	exited := false
	ok := c.r.api.WaitFor(time.Minute, func() bool {
		select {
		case exit = <-b.done:
			b.done <- exit
			exited = true
			return true
		default:
		}
		return ctx.Err() != nil || c.r.api.Counts()["setWebhook"].Calls >= n
	})
	switch {
	case exited:
		return fmt.Errorf("loadtest: chaos: a replica exited while starting: %v", exit)
	case !ok:
		return errors.New("loadtest: chaos: a replica did not set its webhook within a minute")
	}
	return ctx.Err()
}

// applicant runs user i's whole script, submission included, from a
// random start and pausing before each step, and records how long each
// answer took.
func (c *chaosRun) applicant(ctx context.Context, i int) {
	r := c.r
	u := r.order[i]
	rng := rand.New(rand.NewPCG(c.ch.Seed, uint64(i)+1))
	// The applicants start over the first third of the run, so that some
	// are submitting (and the group getting cards) while others are at
	// their first steps, and the kills find every step.
	start := time.NewTimer(time.Duration(rng.Int64N(int64(c.ch.Think) * int64(len(r.scripts[i])) / 2)))
	select {
	case <-start.C:
	case <-ctx.Done():
		start.Stop()
		r.fail(u, r.scripts[i][0], ctx.Err())
		return
	}
	for k, st := range r.scripts[i] {
		t := time.NewTimer(time.Duration(rng.Int64N(int64(2*c.ch.Think) + 1)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.fail(u, st, ctx.Err())
			return
		}
		sctx, cancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
		_, err := u.do(sctx, st, r.pdfOf(i, k))
		cancel()
		if err != nil {
			r.fail(u, st, err)
			return
		}
		c.answered(time.Since(u.sent), k, st)
	}
	c.mu.Lock()
	c.told++
	c.mu.Unlock()
}

// answered records the wait for step k's answer and moves the progress.
func (c *chaosRun) answered(wait time.Duration, k int, st step) {
	c.mu.Lock()
	c.waits = append(c.waits, wait)
	if wait > c.max {
		c.max, c.maxAt = wait, fmt.Sprintf("%d: %s", k+1, st.arg)
	}
	c.mu.Unlock()
	c.progress.Add(1)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// killer kills a random replica Kills times, kill n once the applicants
// have taken a random share of their steps between n/Kills and
// (n+1)/Kills of killAtMost, at one of three kinds of moment (moment).
// Each victim is restarted on its address, and the next kill waits until
// it serves again. It stops when the applicants are done.
func (c *chaosRun) killer(ctx context.Context, total int64) {
	rng := rand.New(rand.NewPCG(c.ch.Seed, 0))
	for n := range c.ch.Kills {
		at := int64((float64(n) + rng.Float64()) / float64(c.ch.Kills) * killAtMost * float64(total))
		for c.progress.Load() < at {
			select {
			case <-c.wake:
			case <-c.usersDone:
				return
			case <-ctx.Done():
				return
			}
		}
		kind := rng.IntN(3)
		if !c.moment(kind, time.Duration(rng.Int64N(int64(100*time.Millisecond)))) {
			return
		}
		killed := len(c.kills)
		err := c.kill(ctx, rng.IntN(len(c.r.bots)))
		if len(c.kills) > killed {
			switch kind {
			case 0:
				c.res.KillsAtAnswer++
			case 1:
				c.res.KillsAtCard++
			default:
				c.res.KillsAtRandom++
			}
		}
		if err != nil {
			c.res.KillError = err.Error()
			c.r.logf("chaos: %v", err)
			return
		}
	}
}

// moment waits for the moment of a kill of the given kind and reports
// false if the applicants are done first. Kind 0 is as the next answer
// reaches an applicant: its update may be saved and answered but not
// acknowledged yet (the deletion of a secret may still be on its way),
// the window in which a redelivery must be taken over. Kind 1 is as the
// next review card reaches the group (half the time the victim is the
// replica that sent it): its notice is not marked sent yet. Otherwise it
// is after a random delay (up to 100 ms).
func (c *chaosRun) moment(kind int, delay time.Duration) bool {
	var next <-chan struct{}
	switch kind {
	case 0:
		next = c.wake
	case 1:
		next = c.carded
	default:
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-c.usersDone:
			return false
		}
	}
	select { // the next one, not one that came before
	case <-next:
	default:
	}
	select {
	case <-next:
		return true
	case <-c.usersDone:
		return false
	}
}

// kill SIGKILLs replica i, restarts it on its address and waits until it
// serves again.
func (c *chaosRun) kill(ctx context.Context, i int) error {
	r := c.r
	calls := r.api.Counts()["setWebhook"].Calls
	b := r.bots[i]
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill replica %d: %w", i, err)
	}
	c.kills = append(c.kills, time.Now())
	<-b.done // its listener is closed: the address is free
	c.res.Kills++
	r.logf("chaos: killed replica %d (pid %d) at %d steps", i, b.cmd.Process.Pid, c.progress.Load())
	if err := r.restartBot(i); err != nil {
		return err
	}
	return c.awaitServing(ctx, r.bots[i], calls+1)
}

// groupEvent counts the review group's cards of new applications by
// reference, and its documents. It is called with the fake's lock held.
func (c *chaosRun) groupEvent(ev telegramtest.Event) {
	c.group.Lock()
	defer c.group.Unlock()
	switch {
	case ev.Method == "sendDocument":
		c.documents++
	case strings.Contains(ev.Message.Text, cardPrefix):
		if ref := referenceRE.FindString(ev.Message.Text); ref != "" {
			c.cards[ref] = append(c.cards[ref], time.Now())
		}
		select {
		case c.carded <- struct{}{}:
		default:
		}
	}
}

// secretsLeft is how many of the secret-bearing messages the applicants
// typed are not deleted, and how many they typed.
func (c *chaosRun) secretsLeft() (left, typed int) {
	for _, u := range c.r.order {
		u.mu.Lock()
		for _, id := range u.secrets {
			if !u.deleted[id] {
				left++
			}
		}
		typed += len(u.secrets)
		u.mu.Unlock()
	}
	return left, typed
}

// settle waits for what is still due after the last applicant (secret
// deletions, review cards, notices a killed replica held), then counts.
func (c *chaosRun) settle(ctx context.Context) error {
	r, res := c.r, c.res
	// A deletion goes out alongside the answer: the last ones may follow
	// it by a moment, or by a takeover's redelivery delay.
	r.api.WaitFor(c.ch.MaxWait, func() bool { left, _ := c.secretsLeft(); return left == 0 })
	left, typed := c.secretsLeft()
	res.Secrets, res.SecretsDeleted = typed, typed-left

	db, err := pgx.Connect(ctx, c.ch.DatabaseURL)
	if err != nil {
		return fmt.Errorf("loadtest: chaos: %w", err)
	}
	defer db.Close(context.Background())
	chats := make([]int64, len(r.order))
	for i, u := range r.order {
		chats[i] = u.chatID
	}
	refs, err := applications(ctx, db, chats)
	if err != nil {
		return err
	}
	// The cards: every application's, and whatever a notice left unsent
	// by a killed replica adds once its lease runs out. The notices'
	// state is in Postgres alone, read at each poll.
	deadline := time.Now().Add(chaosSettle)
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		r.api.WaitFor(time.Until(deadline), func() bool { return c.missingCards(refs) == 0 })
		res.NoticesUnsent, res.NoticesGivenUp, err = notices(ctx, db, chats)
		if err != nil {
			return err
		}
		if res.NoticesUnsent == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	c.mu.Lock()
	res.Told = c.told
	res.MaxWait, res.MaxWaitStep, res.WaitP99 = c.max, c.maxAt, pct(c.waits, 99)
	for _, w := range c.waits {
		if w > c.ch.MaxWait {
			res.OverBound++
		}
	}
	res.Steps = int64(len(c.waits))
	c.mu.Unlock()
	res.Errors, res.FirstErrors = r.errs.Load(), r.firstErrs
	res.Redelivered, res.FailedDeliveries = r.api.PostRedelivered(), r.api.PostRetries()
	for _, u := range r.order {
		u.mu.Lock()
		res.Repeats += u.repeats
		u.mu.Unlock()
	}
	for _, chat := range chats {
		switch n := len(refs[chat]); {
		case n == 0:
			res.NoApplication++
		case n == 1:
			res.OneApplication++
		default:
			res.DuplicateApplications += n - 1
		}
	}
	attempts, err := noticeAttempts(ctx, db, chats)
	if err != nil {
		return err
	}
	c.group.Lock()
	defer c.group.Unlock()
	res.MissingCards = c.missingCardsLocked(refs)
	res.GroupDocuments = c.documents
	for ref, at := range c.cards {
		res.Cards += len(at)
		for k := 1; k < len(at); k++ {
			res.DuplicateCards++
			if attempts[ref] > 1 && slices.ContainsFunc(c.kills, func(kill time.Time) bool { return kill.After(at[k-1]) && kill.Before(at[k]) }) {
				res.DuplicateCardsInWindow++
			}
		}
	}
	return nil
}

func (c *chaosRun) missingCards(refs map[int64][]string) int {
	c.group.Lock()
	defer c.group.Unlock()
	return c.missingCardsLocked(refs)
}

func (c *chaosRun) missingCardsLocked(refs map[int64][]string) int {
	n := 0
	for _, rs := range refs {
		for _, ref := range rs {
			if len(c.cards[ref]) == 0 {
				n++
			}
		}
	}
	return n
}

// applications returns the references of the applications of chats.
func applications(ctx context.Context, db *pgx.Conn, chats []int64) (map[int64][]string, error) {
	rows, err := db.Query(ctx, `SELECT chat_id, reference FROM applications WHERE chat_id = ANY($1) ORDER BY id`, chats)
	if err != nil {
		return nil, fmt.Errorf("loadtest: chaos: applications: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var chat int64
		var ref string
		if err := rows.Scan(&chat, &ref); err != nil {
			return nil, err
		}
		out[chat] = append(out[chat], ref)
	}
	return out, rows.Err()
}

// notices counts the notices of chats' applications that are neither sent
// nor given up, and those given up.
func notices(ctx context.Context, db *pgx.Conn, chats []int64) (unsent, givenUp int, err error) {
	err = db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE n.sent_at IS NULL AND n.given_up_at IS NULL),
			count(*) FILTER (WHERE n.given_up_at IS NOT NULL)
		FROM notices n JOIN applications a ON a.id = n.application_id WHERE a.chat_id = ANY($1)`, chats).Scan(&unsent, &givenUp)
	if err != nil {
		err = fmt.Errorf("loadtest: chaos: notices: %w", err)
	}
	return unsent, givenUp, err
}

// noticeAttempts returns, by reference, how often the notice of each of
// chats' submitted applications was claimed.
func noticeAttempts(ctx context.Context, db *pgx.Conn, chats []int64) (map[string]int, error) {
	rows, err := db.Query(ctx, `SELECT a.reference, max(n.attempts) FROM notices n JOIN applications a ON a.id = n.application_id
		WHERE a.chat_id = ANY($1) AND n.kind = 'submitted' GROUP BY a.reference`, chats)
	if err != nil {
		return nil, fmt.Errorf("loadtest: chaos: notices: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ref string
		var n int
		if err := rows.Scan(&ref, &n); err != nil {
			return nil, err
		}
		out[ref] = n
	}
	return out, rows.Err()
}
