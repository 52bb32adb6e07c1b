package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// TestCrashAtEveryStep runs the regbot binary through a full registration
// and SIGKILLs it after every step (once the step's reply has arrived),
// then starts it again: no answer is lost, no update is applied twice
// (a redelivered update changes nothing and at most asks the current
// question again), and exactly one application is stored. Along the way:
//   - the bot is killed while an update is in flight (the marketing query
//     hangs): Telegram redelivers it to the new process, which answers it;
//   - Redis is restarted on its append-only file: the draft survives.
func TestCrashAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds and restarts the binary ~50 times (runs in make test)")
	}
	bin := BuildRegbot(t)
	w := NewWorld(t)
	ctx := context.Background()

	// Redis of its own, with the append-only file, on a fixed port so that
	// a restart keeps the URL.
	redisDir := t.TempDir()
	rs, err := devstack.StartRedis(ctx, redisDir, devstack.RedisOptions{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Stop() })
	w.Cfg.RedisURL = rs.URL
	mkt, mktURL := NewBlockingMarketing(t)
	w.Cfg.MarketingURL = mktURL
	LoadCatalog(t, w.Cfg.DatabaseURL)
	env := ProcessEnv(w.Cfg, "NOTICE_LEASE=2s")

	p := StartProc(t, bin, env)
	for i, step := range RegistrationSteps(w) {
		if step == nil {
			// Kill while the update is in flight: the engine is waiting
			// for the marketing system, nothing is saved or confirmed.
			mkt.hold.Store(true)
			before := w.Snapshot(w.User.ID)
			id := w.TG.SendText(w.User, "123456")
			select {
			case <-mkt.arrived:
			case <-time.After(WaitTime):
				t.Fatal("the marketing query never arrived")
			}
			p.Kill()
			mkt.hold.Store(false)
			if w.TG.WaitConfirmed(id, 0) {
				t.Fatal("the update in flight was confirmed before it was handled")
			}
			p = StartProc(t, bin, env)
			w.Await(w.User.ID, before, "共有 3 个计量点")
			if !w.TG.WaitConfirmed(id, WaitTime) {
				t.Fatal("the redelivered update was never confirmed")
			}
			continue
		}
		if i == 19 {
			// Redis goes down and comes back on its append-only file.
			p.Kill()
			if err := rs.Stop(); err != nil {
				t.Fatal(err)
			}
			port, _ := strconv.Atoi(mustURL(t, rs.URL).Port())
			if rs, err = devstack.StartRedis(ctx, redisDir, devstack.RedisOptions{AppendOnly: true, Port: port}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rs.Stop() })
			p = StartProc(t, bin, env)
		}
		id := step()
		if p.Exited() {
			t.Fatalf("step %d: regbot exited by itself", i)
		}
		p.Kill()
		before := w.Snapshot(w.User.ID)
		p = StartProc(t, bin, env)
		// The new process gets the last update again unless the old one
		// confirmed it; Telegram may also redeliver a confirmed one, so
		// make sure it comes again. Either way it must change nothing.
		if !w.TG.WaitConfirmed(id, WaitTime) {
			t.Fatalf("step %d: update %d never confirmed after the restart", i, id)
		}
		w.TG.Redeliver(id)
		w.AssertNothingSaid(before)
	}

	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var apps, units, atts int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM applications`).Scan(&apps)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM attachments`).Scan(&atts)
	if apps != 1 || units != 2 || atts != 2 {
		t.Errorf("applications %d, units %d, attachments %d; want 1, 2, 2", apps, units, atts)
	}
	// The review notice was recorded once, with the submission; the kill
	// right after the submit may land before it was sent (it is sent after
	// the restart, once the killed process's lease ran out) or while it was
	// being sent (then it may come twice: delivery is at least once, see
	// TestCrashBeforeNoticesSent for the exact count).
	var recorded int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM notices`).Scan(&recorded)
	if recorded != 1 {
		t.Errorf("%d notices recorded, want 1", recorded)
	}
	w.Await(ReviewChat, map[int]string{}, "新注册申请")
}

// TestCrashBetweenSaveAndReply kills the bot after it saved an update's
// effect but before its reply went out (Telegram answered the reply with
// 429 and retry_after 5, so the bot is waiting): after the restart the
// update comes again, is recognised as applied by a process that is gone
// (conversation.ErrOrphanedUpdate), and the applicant gets the question.
func TestCrashBetweenSaveAndReply(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	env := ProcessEnv(w.Cfg)
	p := StartProc(t, bin, env)
	steps := RegistrationSteps(w)
	for _, step := range steps[:4] {
		step()
	}
	w.TG.FailNextIn("sendMessage", w.User.ID, 1, 429, 5)
	before := w.Snapshot(w.User.ID)
	w.TG.SendText(w.User, "江北精工")
	if _, ok := w.TG.WaitFailed("sendMessage", 0, 429, WaitTime); !ok {
		t.Fatal("the reply was never attempted")
	}
	p.Kill()
	StartProc(t, bin, env)
	w.Await(w.User.ID, before, "找到 1 家企业")
}

// TestCrashBeforeNoticesSent kills the bot while it holds a notice it has
// not sent yet: Telegram answered the notice's first message with 429 and
// retry_after 2, which the bot waits out, holding the notice's lease (3 s
// here). After the restart the new process claims the notice once the
// lease ran out and sends it, exactly once: first the review group's notice
// of a submission, then the applicant's message of the decision taken on
// it. (Before notices were stored with the submission and the decision,
// both were lost with the process.)
func TestCrashBeforeNoticesSent(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	env := ProcessEnv(w.Cfg, "NOTICE_LEASE=3s")
	p := StartProc(t, bin, env)
	steps := RegistrationSteps(w)
	for i, step := range steps[:len(steps)-1] {
		if i == 24 {
			// The per-chat limit (a burst of 30 updates, then one a
			// second) is per process: a restart keeps the script within it.
			p.Stop()
			p = StartProc(t, bin, env)
		}
		if step == nil {
			w.QueryStep()
			continue
		}
		step()
	}

	// The submission: the group's notice is held up, and the bot killed.
	w.TG.FailNextIn("sendMessage", ReviewChat, 1, 429, 2)
	steps[len(steps)-1]() // 提交: the applicant is told at once
	w.Await429(ReviewChat)
	p.Kill()
	if n := len(w.Sent(ReviewChat, "新注册申请")); n != 0 {
		t.Fatalf("the notice went out before the kill (%d)", n)
	}
	p = StartProc(t, bin, env)
	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请")

	// The decision: the applicant's message is held up, and the bot killed.
	w.TG.FailNextIn("sendMessage", w.User.ID, 1, 429, 2)
	if toast := w.Tap(w.Group, notice.ID, ButtonOn(t, notice, "通过").Data); !strings.Contains(toast, "已通过") {
		t.Fatalf("approval answered %q", toast)
	}
	w.Await429(w.User.ID)
	p.Kill()
	if n := len(w.Sent(w.User.ID, "已审核通过")); n != 0 {
		t.Fatalf("the applicant was told before the kill (%d)", n)
	}
	p = StartProc(t, bin, env)
	w.Await(w.User.ID, map[int]string{}, "已审核通过")

	// A graceful stop waits for the notices in flight: then nothing more
	// can come, and each was sent once.
	p.Stop()
	if n := len(w.Sent(ReviewChat, "新注册申请")); n != 1 {
		t.Errorf("the review group got the notice %d times, want once", n)
	}
	if n := len(w.Sent(w.User.ID, "已审核通过")); n != 1 {
		t.Errorf("the applicant got the decision %d times, want once", n)
	}
	var sent, pending int
	err := w.Conn().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL),
		count(*) FILTER (WHERE sent_at IS NULL) FROM notices`).Scan(&sent, &pending)
	// The submission's, the decision's and the cards' it edited.
	if err != nil || sent != 3 || pending != 0 {
		t.Errorf("notices sent %d, pending %d (%v); want 3, 0", sent, pending, err)
	}
}

// TestCrashBeforeGroupRepliesSent kills the bot (SIGKILL) while it holds a
// reply to a reviewer's own action that Telegram answered with 429 and
// retry_after 2: the reason prompt after 驳回, a /pending list, the card's
// update after a rejection. The restarted process sends it once the lease
// (3 s) ran out: the prompt still as a forced reply to the card, the card
// edited in place. The group shows each once. (Before these replies were
// stored with the notices, an in-memory queue held them and the kill lost
// them.)
func TestCrashBeforeGroupRepliesSent(t *testing.T) {
	bin := BuildRegbot(t)
	// start boots a world with one submitted application and returns the
	// process, the application's card and the application.
	start := func(t *testing.T) (*World, []string, *Proc, telegramtest.Message, *domain.Application) {
		w := NewWorld(t)
		env := ProcessEnv(w.Cfg, "NOTICE_LEASE=3s")
		p := StartProc(t, bin, env)
		db, err := postgres.Open(context.Background(), w.Cfg.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		app := SeedApplication(t, db, TestVault(t), 1, domain.UserDirect)
		card := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+app.Reference)
		return w, env, p, card, app
	}
	// held makes Telegram answer the group's next call of method with 429
	// and retry_after 2, runs act, waits for that 429 and kills the bot.
	held := func(t *testing.T, w *World, p *Proc, method string, act func()) {
		limited := w.refused(method, ReviewChat)
		w.TG.FailNextIn(method, ReviewChat, 1, 429, 2)
		act()
		if !w.TG.WaitFor(WaitTime, func() bool { return w.refused(method, ReviewChat) > limited }) {
			t.Fatalf("no %s to the group was attempted", method)
		}
		p.Kill()
	}
	// once checks, after a graceful stop (nothing more can come), that
	// the group shows each text once and every notice was sent.
	once := func(t *testing.T, w *World, p *Proc, texts ...string) {
		p.Stop()
		for _, text := range texts {
			if got := w.Sent(ReviewChat, text); len(got) != 1 {
				t.Errorf("the group shows %d messages with %q, want 1: %+v", len(got), text, got)
			}
		}
		var pending int
		if err := w.Conn().QueryRow(context.Background(), `SELECT count(*) FROM notices WHERE sent_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
			t.Errorf("%d notices not sent (%v)", pending, err)
		}
	}

	t.Run("reason prompt", func(t *testing.T) {
		w, env, p, card, app := start(t)
		ref := app.Reference
		held(t, w, p, "sendMessage", func() { w.Tap(w.Group, card.ID, ButtonOn(t, card, "驳回").Data) })
		if n := len(w.Sent(ReviewChat, "驳回申请")); n != 0 {
			t.Fatalf("the prompt went out before the kill (%d)", n)
		}
		p = StartProc(t, bin, env)
		prompt := w.Await(ReviewChat, w.Snapshot(ReviewChat), "驳回申请 "+ref)
		if !prompt.ForcesReply() || prompt.ReplyTo != card.ID {
			t.Errorf("prompt %+v; want a forced reply to the card %d", prompt, card.ID)
		}
		once(t, w, p, "驳回申请 "+ref)
	})

	t.Run("pending list", func(t *testing.T) {
		w, env, p, _, app := start(t)
		ref := app.Reference
		held(t, w, p, "sendMessage", func() { w.TG.SendText(w.Group, "/pending") })
		if n := len(w.Sent(ReviewChat, "待审核申请")); n != 0 {
			t.Fatalf("the list went out before the kill (%d)", n)
		}
		p = StartProc(t, bin, env)
		list := w.Await(ReviewChat, w.Snapshot(ReviewChat), "待审核申请 1 件")
		if !strings.Contains(list.Text, ref) {
			t.Errorf("list %q does not name %s", list.Text, ref)
		}
		once(t, w, p, "待审核申请")
	})

	t.Run("card after a rejection", func(t *testing.T) {
		w, env, p, card, app := start(t)
		ref := app.Reference
		before := w.Snapshot(ReviewChat)
		w.Tap(w.Group, card.ID, ButtonOn(t, card, "驳回").Data)
		prompt := w.Await(ReviewChat, before, "驳回申请 "+ref)
		before = w.Snapshot(ReviewChat)
		held(t, w, p, "editMessageText", func() { w.TG.ReplyTo(w.Group, prompt.ID, "营业执照不清晰") })
		if strings.Contains(w.cardNow(card.ID), "已驳回") {
			t.Fatal("the card was edited before the kill")
		}
		p = StartProc(t, bin, env)
		edited := w.Await(ReviewChat, before, "已驳回")
		if edited.ID != card.ID || len(edited.Buttons) != 0 || !strings.Contains(edited.Text, "营业执照不清晰") {
			t.Errorf("after the restart %+v; want the card %d edited, without buttons", edited, card.ID)
		}
		once(t, w, p, "已驳回", "新注册申请", "驳回申请 "+ref)
		if n := len(w.Sent(app.ChatID, "营业执照不清晰")); n != 1 {
			t.Errorf("the applicant was told %d times, want once", n)
		}
	})
}

// refused counts the calls of method in chat that Telegram refused.
func (w *World) refused(method string, chat int64) int {
	n := 0
	for _, c := range w.TG.Calls(method) {
		if c.ErrorCode != 0 && c.Fields["chat_id"] == strconv.FormatInt(chat, 10) {
			n++
		}
	}
	return n
}

// cardNow is the text of the group's message id as it stands.
func (w *World) cardNow(id int) string {
	for _, m := range w.TG.Messages(ReviewChat) {
		if m.ID == id {
			return m.Text
		}
	}
	return ""
}
