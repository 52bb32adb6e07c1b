package loadtest

import (
	"slices"
	"testing"
)

// TestStartStepsSpreadEachStep: every step of the script starts equally
// often, and consecutive slots (which take their turns one after another)
// are not bunched on one step, as they were when slot j started at step
// j*last/n: 31 updates of the same step in a row at 1,389 slots.
func TestStartStepsSpreadEachStep(t *testing.T) {
	for _, c := range []struct{ n, last int }{{1389, 44}, {139, 44}, {12, 44}, {3000, 44}} {
		got := startSteps(c.n, c.last)
		want := make([]int, c.n)
		for j := range want {
			want[j] = j * c.last / c.n
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), want) {
			t.Errorf("n=%d: start steps are not those of an even spread", c.n)
		}
		// Within any stretch of `last` consecutive slots a step occurs
		// once on average (a few times at worst, by chance); bunched
		// slots would give n/last (31 at 1,389 slots).
		w, worst := min(c.last, c.n), 0
		for lo := 0; lo+w <= c.n; lo++ {
			count := map[int]int{}
			for _, k := range got[lo : lo+w] {
				count[k]++
				worst = max(worst, count[k])
			}
		}
		if limit := 8; worst > limit {
			t.Errorf("n=%d: a step occurs %d times within %d consecutive slots, want at most %d", c.n, worst, w, limit)
		}
	}
}
