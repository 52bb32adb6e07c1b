package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

const replicaSecret = "replica-test-secret-0123456789"

// replica is a regbot process in webhook mode.
type replica struct {
	p    *proc
	addr string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startReplica runs the binary in webhook mode and waits until its webhook
// answers (a request with a wrong secret gets 401).
func startReplica(t *testing.T, bin string, cfg Config) *replica {
	t.Helper()
	r := &replica{addr: freeAddr(t)}
	r.p = startProc(t, bin, processEnv(cfg, "WEBHOOK_URL=https://bot.example/telegram",
		"WEBHOOK_LISTEN="+r.addr, "WEBHOOK_SECRET="+replicaSecret))
	deadline := time.Now().Add(waitTime)
	for {
		req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/telegram", strings.NewReader("{}"))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "wrong-secret-wrong-secret")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("webhook with a wrong secret: %s, want 401", resp.Status)
			}
			return r
		}
		if time.Now().After(deadline) || r.p.exited() {
			t.Fatalf("replica on %s never served its webhook: %v", r.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// post delivers an update's JSON as Telegram would and returns the status.
func (r *replica) post(body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.addr+"/telegram", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", replicaSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// pushToBoth delivers every update the fake queues to all replicas at
// once, as a Telegram that lost track of an acknowledgement would, and
// moves to the next update when every replica has answered. It stops when
// the test ends.
func pushToBoth(t *testing.T, w *world, replicas ...*replica) {
	push(t, w, func(int64) []*replica { return replicas })
}

// push delivers every update the fake queues, in order, to the replicas
// route names for it (none: the test posts it itself), and moves to the
// next update when they have answered. It stops when the test ends.
func push(t *testing.T, w *world, route func(updateID int64) []*replica) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		var last time.Time
		for next := int64(101); ctx.Err() == nil; {
			body := w.tg.UpdateJSON(next)
			if len(body) == 0 {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			replicas := route(next)
			// Keep within the per-chat rate limit (burst 30, then one a
			// second), which the binary applies with its defaults.
			if next-101 >= 25 && len(replicas) > 0 {
				time.Sleep(time.Until(last.Add(1050 * time.Millisecond)))
			}
			last = time.Now()
			var wg sync.WaitGroup
			codes := make([]int, len(replicas))
			for i, r := range replicas {
				wg.Add(1)
				go func() { defer wg.Done(); codes[i] = r.post(body) }()
			}
			wg.Wait()
			for i, c := range codes {
				if c != http.StatusOK && ctx.Err() == nil {
					t.Errorf("update %d to replica %d: status %d", next, i, c)
				}
			}
			next++
		}
	}()
}

// TestTwoReplicas runs a full registration against two regbot processes
// in webhook mode that share Redis and Postgres, each update delivered to
// both at the same time: every step is answered once, in order, and one
// application is stored.
func TestTwoReplicas(t *testing.T) {
	bin := buildRegbot(t)
	w := newWorld(t)
	loadCatalog(t, w.cfg.DatabaseURL)
	a := startReplica(t, bin, w.cfg)
	b := startReplica(t, bin, w.cfg)
	pushToBoth(t, w, a, b)

	for _, step := range registrationSteps(w) {
		if step == nil {
			w.queryStep()
		} else {
			step()
		}
	}
	w.await(e2eReviewChat, map[int]string{}, "新注册申请")

	msgs := w.tg.Messages(w.user.ID)
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Text == msgs[i-1].Text && !strings.Contains(msgs[i].Text, "太快") {
			t.Errorf("messages %d and %d say the same (an update applied twice?): %q", msgs[i-1].ID, msgs[i].ID, msgs[i].Text)
		}
	}
	conn, err := pgx.Connect(context.Background(), w.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var apps int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications`).Scan(&apps); err != nil || apps != 1 {
		t.Errorf("applications = %d (%v), want 1", apps, err)
	}
	notices := 0
	for _, m := range w.tg.Messages(e2eReviewChat) {
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
	bin := buildRegbot(t)
	w := newWorld(t)
	loadCatalog(t, w.cfg.DatabaseURL)
	a := startReplica(t, bin, w.cfg)
	b := startReplica(t, bin, w.cfg)
	lost := 0
	for round := range 10 {
		before := w.snapshot(w.user.ID)
		u1 := w.tg.SendText(w.user, "/help")
		u2 := w.tg.SendText(w.user, "/status")
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a.post(w.tg.UpdateJSON(u1)) }()
		go func() { defer wg.Done(); b.post(w.tg.UpdateJSON(u2)) }()
		wg.Wait()
		var help, status, statuses int
		for _, m := range w.tg.Messages(w.user.ID) {
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
	bin := buildRegbot(t)
	w := newWorld(t)
	loadCatalog(t, w.cfg.DatabaseURL)
	mkt, mktURL := newBlockingMarketing(t)
	w.cfg.MarketingURL = mktURL
	a := startReplica(t, bin, w.cfg)
	b := startReplica(t, bin, w.cfg)
	var manualFrom atomic.Int64 // updates from this ID on the test posts itself
	manualFrom.Store(math.MaxInt64)
	push(t, w, func(id int64) []*replica {
		if id >= manualFrom.Load() {
			return nil
		}
		return []*replica{a}
	})
	opts, err := goredis.ParseURL(w.cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()

	var last int64
	for _, step := range registrationSteps(w) {
		if step != nil {
			last = step()
			continue
		}
		before := w.snapshot(w.user.ID)
		mkt.hold.Store(true)
		manualFrom.Store(last + 1)
		u1 := w.tg.SendText(w.user, "123456")
		u2 := w.tg.SendText(w.user, "/status")
		done1 := make(chan struct{})
		go func() { defer close(done1); a.post(w.tg.UpdateJSON(u1)) }()
		select {
		case <-mkt.arrived:
		case <-time.After(waitTime):
			t.Fatal("the marketing query never arrived")
		}
		done2 := make(chan struct{})
		go func() { defer close(done2); b.post(w.tg.UpdateJSON(u2)) }()
		key := fmt.Sprintf("regbot:infl:{%d}", w.user.ID)
		if !w.tg.WaitFor(waitTime, func() bool {
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
		for _, m := range w.tg.Messages(w.user.ID) {
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
