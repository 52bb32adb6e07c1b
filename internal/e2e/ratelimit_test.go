package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/bot/telegramtest"
)

// TestSecretTypedOverTheRateLimitIsDeleted runs the built binary with its
// default per-chat limit (a burst of 30, then one a second): an applicant
// who floods the chat and then types the ID number gets the polite notice,
// and the ID-number message, which the engine never sees, is deleted all
// the same. An ordinary dropped message stays.
func TestSecretTypedOverTheRateLimitIsDeleted(t *testing.T) {
	bin := BuildRegbot(t)
	w := NewWorld(t)
	LoadCatalog(t, w.Cfg.DatabaseURL)
	StartProc(t, bin, ProcessEnv(w.Cfg))
	steps := RegistrationSteps(w)
	for _, step := range steps[:8] { // up to the ID-number question
		step()
	}
	var last int64
	for range 40 {
		last = w.TG.SendText(w.User, "好")
	}
	if !w.TG.WaitConfirmed(last, WaitTime) {
		t.Fatal("the flood was not taken")
	}
	w.Await(w.User.ID, map[int]string{}, "太快")
	plain := w.TG.SendText(w.User, "好的")
	secret := w.TG.SendText(w.User, "５００１０３ １９７００１０１ ００１１")
	if !w.TG.WaitFor(WaitTime, func() bool {
		return slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(secret))
	}) {
		t.Fatal("the ID number typed over the limit is still in the chat")
	}
	if !w.TG.WaitConfirmed(plain, WaitTime) {
		t.Fatal("the plain message was not taken")
	}
	if slices.Contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(plain)) {
		t.Error("an ordinary dropped message was deleted")
	}
	for _, m := range w.TG.Messages(w.User.ID) {
		if !m.Deleted && strings.Contains(strings.ReplaceAll(m.Text, " ", ""), "５００１０３") {
			t.Errorf("message %d still shows the ID number", m.ID)
		}
	}
	// Long polling keeps the buckets in the process: no round trip to
	// Redis for them, and nothing of them there.
	opts, err := goredis.ParseURL(w.Cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	if keys, err := rdb.Keys(context.Background(), "regbot:rate:*").Result(); err != nil || len(keys) != 0 {
		t.Errorf("rate-limit keys in Redis with long polling: %q (%v), want none", keys, err)
	}
}

// TestReplicasShareTheChatLimit: two webhook replicas take an applicant's
// updates from one bucket in Redis. A chat flooding both of them gets the
// burst once in all, not once per replica, and is told once; an update
// delivered to both replicas (as Telegram does again after a lost
// acknowledgement) costs one token.
func TestReplicasShareTheChatLimit(t *testing.T) {
	const burst = 10
	bin := BuildRegbot(t)
	w := NewWorld(t)
	// A burst of 10, then one token in 1,000 s: none refills during the test.
	limit := "CHAT_RATE_LIMIT=0.001/" + strconv.Itoa(burst)
	replicas := []*replica{StartReplica(t, bin, w.Cfg, limit), StartReplica(t, bin, w.Cfg, limit)}
	post := func(r *replica, id int64) {
		if code := r.post(w.TG.UpdateJSON(id)); code != http.StatusOK {
			t.Fatalf("update %d: status %d", id, code)
		}
	}

	// 4 updates, each delivered to both replicas at once.
	for range 4 {
		id := w.TG.SendText(w.User, "/status")
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() { post(r, id) })
		}
		wg.Wait()
	}
	// Then 30 more, each to one replica, in turn.
	for i := range 30 {
		post(replicas[i%2], w.TG.SendText(w.User, "/status"))
	}

	var answered, told int
	for _, m := range w.TG.Messages(w.User.ID) {
		switch {
		case strings.Contains(m.Text, "太快"):
			told++
		case strings.Contains(m.Text, "还没有开始"):
			answered++
		default:
			t.Errorf("message %d is neither an answer to /status nor the notice: %q", m.ID, m.Text)
		}
	}
	if answered != burst || told != 1 {
		t.Errorf("34 updates over two replicas: %d answered, %d told to slow down; want %d (the burst of the one shared bucket) and 1",
			answered, told, burst)
	}
}

// TestReplicasShareTheGroupBudget: two webhook replicas send the review
// group's messages (here the answers to 24 commands of a reviewer, stored
// as notices and sent by either replica's dispatcher) through one bucket
// in Redis. Across both, no stretch of time holds more messages than the
// budget allows: the burst plus one per interval (with one to spare for
// the time a call takes to reach the fake Bot API). Each replica reaches
// the Bot API through a proxy of its own, which shows that both sent.
func TestReplicasShareTheGroupBudget(t *testing.T) {
	const (
		perMinute, burst = 120, 8
		commands         = 24
	)
	every := time.Minute / (perMinute - burst)
	bin := BuildRegbot(t)
	w := NewWorld(t)
	limit := fmt.Sprintf("REVIEW_RATE_LIMIT=%d/%d", perMinute, burst)
	var sent [2]atomic.Int64 // sendMessage calls by replica
	var replicas []*replica
	for i := range sent {
		cfg := w.Cfg
		cfg.TelegramAPIURL = countingProxy(t, w.TG.URL(), "/sendMessage", &sent[i])
		replicas = append(replicas, StartReplica(t, bin, cfg, limit))
	}

	for i := range commands {
		id := w.TG.SendText(w.Group, "/pending")
		if code := replicas[i%2].post(w.TG.UpdateJSON(id)); code != http.StatusOK {
			t.Fatalf("update %d: status %d", id, code)
		}
	}
	groupCalls := func() []telegramtest.Call {
		var out []telegramtest.Call
		for _, c := range w.TG.Calls("sendMessage") {
			if c.ErrorCode == 0 && c.Fields["chat_id"] == strconv.Itoa(ReviewChat) {
				out = append(out, c)
			}
		}
		return out
	}
	// At most burst + (commands-burst) × every ≈ 9 s.
	if !w.TG.WaitFor(3*WaitTime, func() bool { return len(groupCalls()) >= commands }) {
		t.Fatalf("the group got %d of %d answers", len(groupCalls()), commands)
	}
	calls := groupCalls()
	if len(calls) != commands {
		t.Errorf("the group got %d answers to %d commands", len(calls), commands)
	}
	slices.SortFunc(calls, func(a, b telegramtest.Call) int { return a.At.Compare(b.At) })
	worst, excess := "", 0
	for i := range calls {
		for j := i + 1; j < len(calls); j++ {
			span := calls[j].At.Sub(calls[i].At)
			allowed := burst + int(span/every) + 1
			if n := j - i + 1; n-allowed > excess {
				excess = n - allowed
				worst = fmt.Sprintf("%d messages within %v (from the %d.), budget %d", n, span.Round(time.Millisecond), i+1, allowed)
			}
		}
	}
	if worst != "" {
		t.Errorf("the group's budget of %d/min (a burst of %d) was exceeded across the replicas: %s", perMinute, burst, worst)
	}
	for i := range sent {
		if sent[i].Load() == 0 {
			t.Errorf("replica %d sent nothing to the group: the test did not show two replicas sharing the budget", i)
		}
	}
	t.Logf("sent by replica: %d, %d; first to last: %v", sent[0].Load(), sent[1].Load(), calls[len(calls)-1].At.Sub(calls[0].At).Round(time.Millisecond))
}

// countingProxy is a reverse proxy to target that counts the requests
// whose path ends in suffix; it returns its URL.
func countingProxy(t *testing.T, target, suffix string, n *atomic.Int64) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, suffix) {
			n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
