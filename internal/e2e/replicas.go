package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/devstack"
)

const replicaSecret = "replica-test-secret-0123456789"

// replica is a regbot process in webhook mode.
type replica struct {
	p    *Proc
	addr string
}

// FreeAddr is devstack.FreeAddr for a test.
func FreeAddr(t *testing.T) string {
	t.Helper()
	addr, err := devstack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// StartReplica runs the binary in webhook mode, with the extra environment
// variables if any, and waits until its webhook answers (a request with a
// wrong secret gets 401).
func StartReplica(t *testing.T, bin string, cfg app.Config, extra ...string) *replica {
	t.Helper()
	r := &replica{addr: FreeAddr(t)}
	r.p = StartProc(t, bin, ProcessEnv(cfg, append([]string{"WEBHOOK_URL=https://bot.example/telegram",
		"WEBHOOK_LISTEN=" + r.addr, "WEBHOOK_SECRET=" + replicaSecret}, extra...)...))
	deadline := time.Now().Add(WaitTime)
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
		if time.Now().After(deadline) || r.p.Exited() {
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
func pushToBoth(t *testing.T, w *World, replicas ...*replica) {
	push(t, w, func(int64) []*replica { return replicas })
}

// push delivers every update the fake queues, in order, to the replicas
// route names for it (none: the test posts it itself), and moves to the
// next update when they have answered. It stops when the test ends.
func push(t *testing.T, w *World, route func(updateID int64) []*replica) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		var last time.Time
		for next := int64(101); ctx.Err() == nil; {
			body := w.TG.UpdateJSON(next)
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
