package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The update queue. Updates wait in it until a getUpdates with a higher
// offset confirms them, as Telegram keeps them; a long poll blocks until
// there is one to deliver. After PostUpdates they are posted to webhooks
// instead.

type queued struct {
	id        int64
	kind      string // "message", "callback_query"
	raw       []byte
	forced    bool // a redelivered copy: delivered whatever the offset
	delivered bool
}

// enqueueLocked queues an update of kind whose body is everything but
// its update_id, and returns its id. s.mu must be held.
func (s *Server) enqueueLocked(kind string, body map[string]any) int64 {
	s.nextUpd++
	id := s.nextUpd
	raw, err := updateJSON(id, body)
	if err != nil {
		panic(err)
	}
	if !s.lean {
		s.raw[id] = raw
	}
	if s.hooks != nil {
		go s.post(raw)
	} else {
		s.queue = append(s.queue, &queued{id: id, kind: kind, raw: raw})
		s.wakePollsLocked()
	}
	s.bump()
	return id
}

// updateJSON is an update as the Bot API writes it: update_id first, then
// the rest of body (encoding/json would sort update_id after "message"
// and "callback_query"; bots that read the id from the prefix, as the
// bot's poller does, would then take their slow path on every update).
func updateJSON(id int64, body map[string]any) ([]byte, error) {
	rest, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	raw := strconv.AppendInt([]byte(`{"update_id":`), id, 10)
	if len(rest) > 2 { // not {}
		raw = append(raw, ',')
	}
	return append(raw, rest[1:]...), nil
}

// wakePollsLocked wakes the long polls waiting for an update. s.mu must
// be held.
func (s *Server) wakePollsLocked() {
	if s.polled {
		close(s.queued)
		s.queued = make(chan struct{})
		s.polled = false
	}
}

// Redeliver queues a copy of an earlier update with the same update id,
// as Telegram does when a bot did not confirm it. The copy is delivered
// once, whatever offset the client asks for. It panics in lean mode,
// which keeps no updates.
func (s *Server) Redeliver(updateID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.raw[updateID]
	if !ok {
		panic(fmt.Sprintf("telegramtest: Redeliver: no update %d", updateID))
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(raw, &probe)
	kind := "message"
	if _, ok := probe["callback_query"]; ok {
		kind = "callback_query"
	}
	s.queue = append(s.queue, &queued{id: updateID, kind: kind, raw: raw, forced: true})
	s.wakePollsLocked()
	s.bump()
}

// UpdateJSON returns the JSON of an update queued earlier, e.g. to post
// it to a webhook handler (updates are queued for getUpdates either way);
// nil in lean mode.
func (s *Server) UpdateJSON(updateID int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.raw[updateID])
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, fields map[string]string, raw json.RawMessage) {
	offset, _ := strconv.ParseInt(fields["offset"], 10, 64)
	limit, _ := strconv.Atoi(fields["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(fields["timeout"])
	var allowed []string
	if a := fields["allowed_updates"]; a != "" {
		_ = json.Unmarshal([]byte(a), &allowed)
	}
	var deadline <-chan time.Time // set when the poll has to wait

	s.mu.Lock()
	s.countLocked("getUpdates", false)
	if !s.lean {
		s.calls = append(s.calls, Call{Method: "getUpdates", Fields: fields, Files: map[string]File{}, JSON: raw, At: time.Now()})
	}
	s.offset = max(s.offset, offset)
	// Confirm: updates below offset, and redelivered copies already sent,
	// are gone for good.
	s.queue = slices.DeleteFunc(s.queue, func(q *queued) bool {
		return (q.forced && q.delivered) || (!q.forced && offset > 0 && q.id < offset)
	})
	s.bump()
	for {
		var out bytes.Buffer
		n := 0
		for _, q := range s.queue {
			if n == limit {
				break
			}
			if !q.forced && q.id < offset || len(allowed) > 0 && !slices.Contains(allowed, q.kind) {
				continue
			}
			q.delivered = true
			if n == 0 {
				out.WriteString(`{"ok":true,"result":[`)
			} else {
				out.WriteByte(',')
			}
			out.Write(q.raw)
			n++
		}
		if n > 0 {
			s.mu.Unlock()
			// Written as it is: encoding/json would scan every update
			// again to compact it.
			out.WriteString("]}\n")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out.Bytes())
			return
		}
		s.polled = true
		ch := s.queued
		s.mu.Unlock()
		if deadline == nil {
			t := time.NewTimer(time.Duration(max(timeout, 0)) * time.Second)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-ch:
		case <-deadline:
			writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: []json.RawMessage{}})
			return
		case <-r.Context().Done():
			return
		case <-s.closed:
			writeJSON(w, http.StatusOK, wireResponse{OK: true, Result: []json.RawMessage{}})
			return
		}
		s.mu.Lock()
	}
}

// PostUpdates makes the server post every update queued from now on to
// one of urls in turn, with secretToken in X-Telegram-Bot-Api-Secret-Token,
// instead of keeping it for getUpdates: as Telegram posts to a webhook
// behind a load balancer in front of replicas. A delivery that is not
// answered 200 is posted again, with the same update_id, to the next URL
// (by default up to ten deliveries in all, 100 ms apart; WithPostRetry).
// PostRetries counts the failed deliveries, PostRedelivered the updates
// posted more than once. Updates are posted concurrently, each as it is
// queued.
func (s *Server) PostUpdates(urls []string, secretToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks, s.hookSecret = slices.Clone(urls), secretToken
	if s.hookClient == nil {
		s.hookClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	}
}

// WithPostRetry sets how PostUpdates redelivers an update whose delivery
// failed: after every, to the next URL, up to tries deliveries in all;
// tries 0 keeps trying until Close, as Telegram keeps redelivering for
// hours (a chaos run, whose replicas are killed and restarted, relies on
// it). The default is ten deliveries, 100 ms apart.
func WithPostRetry(every time.Duration, tries int) Option {
	return func(s *Server) { s.postEvery, s.postTries = max(every, time.Millisecond), max(tries, 0) }
}

// PostRetries is how many webhook deliveries were answered with an error,
// or not at all.
func (s *Server) PostRetries() int64 { return s.hookRetries.Load() }

// PostRedelivered is how many updates were posted more than once: their
// first delivery failed.
func (s *Server) PostRedelivered() int64 { return s.hookRedelivered.Load() }

// post delivers one update to the webhooks (see PostUpdates). Each retry
// goes to the URL after the one that failed, so that a replica that is
// down is not tried twice in a row.
func (s *Server) post(raw []byte) {
	s.mu.Lock()
	hooks, secret, client := s.hooks, s.hookSecret, s.hookClient
	s.mu.Unlock()
	start := int(s.nextHook.Add(1))
	for try := 0; s.postTries == 0 || try < s.postTries; try++ {
		if try == 1 {
			s.hookRedelivered.Add(1)
		}
		hook := hooks[(start+try)%len(hooks)]
		req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		s.hookRetries.Add(1)
		t := time.NewTimer(s.postEvery)
		select {
		case <-s.closed:
			t.Stop()
			return
		case <-t.C:
		}
	}
}
