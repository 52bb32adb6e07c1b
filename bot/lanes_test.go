package bot

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// A lane runs its functions one at a time in order while other lanes run
// beside it; a worker whose lane is empty waits and takes the next lane,
// so a quiet moment between updates starts no goroutine.
func TestLanesReuseWorkers(t *testing.T) {
	var l lanes
	var (
		mu  sync.Mutex
		got []string
	)
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}
	release, inB := make(chan struct{}), make(chan struct{})
	done := make(chan struct{}, 4)
	l.run(1, func() { <-release; note("a1") })
	l.run(1, func() { note("a2"); done <- struct{}{} })
	l.run(2, func() { note("b"); close(inB) })
	<-inB // lane 2 ran while lane 1 is blocked
	close(release)
	<-done
	want := []string{"b", "a1", "a2"}
	mu.Lock()
	if !slices.Equal(got, want) {
		t.Errorf("ran %v; want %v", got, want)
	}
	mu.Unlock()
	idle := func(n int) {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			l.mu.Lock()
			idle, active := l.idle, len(l.m)
			l.mu.Unlock()
			if idle == n && active == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d workers idle, %d lanes; want %d, 0", idle, active, n)
			}
			runtime.Gosched()
		}
	}
	for i := range 10 {
		idle(2)
		l.run(int64(10+i), func() { done <- struct{}{} })
		<-done
	}
	idle(2) // no third worker: a waiting one took every lane
}
