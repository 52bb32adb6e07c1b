package redis

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/regbot/regbot/conversation"
)

// fullDraft is a session that reached the summary: every field, two PDFs,
// two units (testdata/full_draft.json, written from the engine's
// BenchmarkSessionCodec draft).
func fullDraft(tb testing.TB) conversation.Session {
	tb.Helper()
	data, err := os.ReadFile("testdata/full_draft.json")
	if err != nil {
		tb.Fatal(err)
	}
	var s conversation.Session
	if err := json.Unmarshal(data, &s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkSessionUpdate is one update of a complete draft against the real
// Redis of the test binary: HGETALL, decode, fn, encode, the Lua
// compare-and-set. Allocations are the store's and go-redis's.
func BenchmarkSessionUpdate(b *testing.B) {
	benchmarkUpdate(b, NewSessionStore(mustOpen(b), 0))
}

// BenchmarkSessionUpdateCached is BenchmarkSessionUpdate as long polling
// runs it: the session comes from the cache, so only the write goes to
// Redis.
func BenchmarkSessionUpdateCached(b *testing.B) {
	store := NewSessionStore(mustOpen(b), 0)
	store.SingleConsumer = true
	store.CacheSessions(16)
	benchmarkUpdate(b, store)
}

func benchmarkUpdate(b *testing.B, store *SessionStore) {
	ctx := context.Background()
	draft := fullDraft(b)
	if err := store.Update(ctx, 1, 0, func(s *conversation.Session) error { *s = draft; return nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		err := store.Update(ctx, 1, 0, func(s *conversation.Session) error {
			s.Scratch.Page++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSession is the decoding half of the session codec, from
// the fields the load script returns.
func BenchmarkDecodeSession(b *testing.B) {
	draft := fullDraft(b)
	data, _ := json.Marshal(&draft)
	d := string(data)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := decodeSession("12", d, "3401,3456"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCloneSession is what the cache costs per update instead of
// BenchmarkDecodeSession: the copy of the written session it keeps.
func BenchmarkCloneSession(b *testing.B) {
	draft := fullDraft(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = draft.Clone()
	}
}
