package e2e

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// TestTwoReplicas runs a full registration against two regbot processes
// in webhook mode that share Redis and Postgres, each update delivered to
// both at the same time: every step is answered once, in order, and one
// application is stored.
func TestTwoReplicas(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	a := StartReplica(t, bin, w.Cfg)
	b := StartReplica(t, bin, w.Cfg)
	pushToBoth(t, w, a, b)

	for _, step := range RegistrationSteps(w) {
		if step == nil {
			w.QueryStep()
		} else {
			step()
		}
	}
	w.Await(ReviewChat, map[int]string{}, "新注册申请")

	msgs := w.TG.Messages(w.User.ID)
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Text == msgs[i-1].Text && !strings.Contains(msgs[i].Text, "太快") {
			t.Errorf("messages %d and %d say the same (an update applied twice?): %q", msgs[i-1].ID, msgs[i].ID, msgs[i].Text)
		}
	}
	conn, err := pgx.Connect(context.Background(), w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var apps int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications`).Scan(&apps); err != nil || apps != 1 {
		t.Errorf("applications = %d (%v), want 1", apps, err)
	}
	notices := 0
	for _, m := range w.TG.Messages(ReviewChat) {
		if strings.Contains(m.Text, "新注册申请") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("review notices = %d, want 1", notices)
	}
}

// TestReplicasConcurrentUpdatesOfOneChat posts two different updates of
// one chat at the same moment, the first to one replica and the second to
// the other, many times: both must be answered, none twice. Each update
// registers itself as in flight when its replica reads the session, and
// one waits while an earlier update of its chat is in flight elsewhere
// (adapters/redis: SessionStore), so whenever the first update reached
// Redis before the second one did, their answers come in that order; when
// the second overtakes the first on the way to Redis, it is applied first
// and the first after it (its id is not among those applied), not dropped.
// TestReplicasOrderedWhileEarlierInFlight shows the order deterministically.
func TestReplicasConcurrentUpdatesOfOneChat(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	a := StartReplica(t, bin, w.Cfg)
	b := StartReplica(t, bin, w.Cfg)
	lost := 0
	for round := range 10 {
		before := w.Snapshot(w.User.ID)
		u1 := w.TG.SendText(w.User, "/help")
		u2 := w.TG.SendText(w.User, "/status")
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a.post(w.TG.UpdateJSON(u1)) }()
		go func() { defer wg.Done(); b.post(w.TG.UpdateJSON(u2)) }()
		wg.Wait()
		var help, status, statuses int
		for _, m := range w.TG.Messages(w.User.ID) {
			if _, seen := before[m.ID]; seen {
				continue
			}
			switch {
			case strings.Contains(m.Text, "还没有开始"):
				status = m.ID
				statuses++
			case help == 0:
				help = m.ID
			}
		}
		if help == 0 || status == 0 {
			lost++
			t.Logf("round %d: /help answered %v, /status answered %v", round, help != 0, status != 0)
		}
		if statuses != 1 {
			t.Errorf("round %d: /status answered %d times", round, statuses)
		}
	}
	if lost > 0 {
		t.Errorf("%d of 10 rounds lost an answer", lost)
	}
}

// TestReplicasOrderedWhileEarlierInFlight: the applicant's query password
// reaches replica A, which waits for the marketing system; meanwhile their
// next message reaches replica B. B must wait for A's update and answer
// after it, on the session A saved.
func TestReplicasOrderedWhileEarlierInFlight(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	mkt, mktURL := NewBlockingMarketing(t)
	w.Cfg.MarketingURL = mktURL
	a := StartReplica(t, bin, w.Cfg)
	b := StartReplica(t, bin, w.Cfg)
	manualFrom := pushTo(t, w, a)
	opts, err := goredis.ParseURL(w.Cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()

	var last int64
	for _, step := range RegistrationSteps(w) {
		if step != nil {
			last = step()
			continue
		}
		before := w.Snapshot(w.User.ID)
		mkt.hold.Store(true)
		manualFrom(last + 1)
		u1 := w.TG.SendText(w.User, "123456")
		u2 := w.TG.SendText(w.User, "/status")
		done1 := make(chan struct{})
		go func() { defer close(done1); a.post(w.TG.UpdateJSON(u1)) }()
		select {
		case <-mkt.arrived:
		case <-time.After(WaitTime):
			t.Fatal("the marketing query never arrived")
		}
		done2 := make(chan struct{})
		go func() { defer close(done2); b.post(w.TG.UpdateJSON(u2)) }()
		key := fmt.Sprintf("regbot:infl:{%d}", w.User.ID)
		if !w.TG.WaitFor(WaitTime, func() bool {
			n, _ := rdb.HExists(context.Background(), key, strconv.FormatInt(u2, 10)).Result()
			select {
			case <-done2:
				return true // answered without waiting: the order check below fails
			default:
				return n
			}
		}) {
			t.Fatal("update 2 never reached Redis")
		}
		close(mkt.release)
		<-done1
		<-done2
		var points, status int
		for _, m := range w.TG.Messages(w.User.ID) {
			if _, seen := before[m.ID]; seen {
				continue
			}
			switch {
			case strings.Contains(m.Text, "共有 3 个计量点") && points == 0:
				points = m.ID
			case strings.Contains(m.Text, "注册进行中") && status == 0:
				status = m.ID
			}
		}
		if points == 0 || status == 0 || status < points {
			t.Fatalf("answers: metering points in message %d, status in %d; want both, points first", points, status)
		}
		return
	}
	t.Fatal("no marketing step")
}

// TestRedeliveryAfterReplicaDiedBeforeReplying: replica A saves the answer
// to the ID-number question and dies (SIGKILL) before its replies go out
// (Telegram holds the deletion of the ID-number message with a 429);
// Telegram redelivers the update to replica B at once, well within A's
// heartbeat TTL. B must not take it for answered: it waits until A counts
// as gone, then deletes the message with the ID number and asks the
// current question.
func TestRedeliveryAfterReplicaDiedBeforeReplying(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	a := StartReplica(t, bin, w.Cfg)
	b := StartReplica(t, bin, w.Cfg)
	manualFrom := pushTo(t, w, a)
	var last int64
	for _, step := range RegistrationSteps(w)[:8] { // up to the ID-number question
		last = step()
	}
	manualFrom(last + 1)
	w.TG.FailNextIn("deleteMessage", w.User.ID, 1, 429, 30)
	upd := w.TG.SendText(w.User, IDNumber)
	go a.post(w.TG.UpdateJSON(upd))
	if _, ok := w.TG.WaitFailed("deleteMessage", w.User.ID, 429, WaitTime); !ok {
		t.Fatal("replica A never tried to delete the ID-number message")
	}
	a.p.Kill()
	before := w.Snapshot(w.User.ID) // whatever A sent before it died
	if code := b.post(w.TG.UpdateJSON(upd)); code != 200 {
		t.Fatalf("the redelivery to B: status %d", code)
	}
	w.Await(w.User.ID, before, "密码")
	msg := w.TG.UserMessageID(upd)
	if !slices.Contains(w.TG.Deleted(w.User.ID), msg) {
		t.Fatal("the message with the ID number is still in the chat")
	}
}

// TestRedeliveryAfterTheNextStep: replica A applies the password's
// confirmation, answers it and dies before the message is deleted
// (Telegram holds the deletion with a 429). The applicant has the answer
// and answers the next question meanwhile, on replica B, which waits until
// A counts as gone and applies it. Telegram's redelivery of the
// confirmation then reaches B: it must still be taken over and the message
// with the password deleted, although the chat has moved past the
// question it answered. (Found while building the chaos run, whose random
// kills hit this interleaving too rarely to show it.)
func TestRedeliveryAfterTheNextStep(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	a := StartReplica(t, bin, w.Cfg)
	b := StartReplica(t, bin, w.Cfg)
	manualFrom := pushTo(t, w, a)
	var last int64
	for _, step := range RegistrationSteps(w)[:10] { // up to the password's confirmation
		last = step()
	}
	manualFrom(last + 1)
	// The first password's deletion goes out alongside its answer: it must
	// be done before the fault below is set, or it would take the fault.
	if !w.TG.WaitFor(WaitTime, func() bool { return slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(last)) }) {
		t.Fatal("the first password's message was not deleted")
	}
	// A waits out the retry_after (within its update's deadline): it has
	// answered and is still at the deletion when it is killed.
	w.TG.FailNextIn("deleteMessage", w.User.ID, 1, 429, 20)
	before := w.Snapshot(w.User.ID)
	upd := w.TG.SendText(w.User, Password)
	go a.post(w.TG.UpdateJSON(upd))
	w.Await(w.User.ID, before, "法定代表人姓名") // the credit code comes from the catalog
	if _, ok := w.TG.WaitFailed("deleteMessage", w.User.ID, 429, WaitTime); !ok {
		t.Fatal("replica A never tried to delete the password's message")
	}
	a.p.Kill()

	before = w.Snapshot(w.User.ID)
	next := w.TG.SendText(w.User, "张三丰")
	if code := b.post(w.TG.UpdateJSON(next)); code != 200 {
		t.Fatalf("the next step on B: status %d", code)
	}
	w.Await(w.User.ID, before, "注册资本")

	before = w.Snapshot(w.User.ID)
	if code := b.post(w.TG.UpdateJSON(upd)); code != 200 {
		t.Fatalf("the redelivery to B: status %d", code)
	}
	if !slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(upd)) {
		t.Fatal("the message with the password is still in the chat")
	}
	w.Await(w.User.ID, before, "注册资本") // the current question, asked again
}

// pushTo delivers every update to r until manualFrom(id) is called: the
// updates from that ID on are the test's to post.
func pushTo(t *testing.T, w *World, r *replica) (manualFrom func(id int64)) {
	var from atomic.Int64
	from.Store(math.MaxInt64)
	push(t, w, func(id int64) []*replica {
		if id >= from.Load() {
			return nil
		}
		return []*replica{r}
	})
	return from.Store
}
