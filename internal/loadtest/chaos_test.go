package loadtest

import (
	"strings"
	"testing"
	"time"
)

// TestChaosProblems: a chaos run passes only when every count is right,
// and each wrong one is named.
func TestChaosProblems(t *testing.T) {
	good := ChaosResult{Users: 20, Kills: 4, KillsWanted: 4, Told: 20, OneApplication: 20, WaitBound: 5 * time.Second,
		MaxWait: 3 * time.Second, Secrets: 80, SecretsDeleted: 80, Cards: 20}
	if p := good.Problems(); len(p) != 0 {
		t.Fatalf("a good run has problems: %v", p)
	}
	for _, tc := range []struct {
		name  string
		spoil func(*ChaosResult)
		want  string
	}{
		{"fewer kills", func(c *ChaosResult) { c.Kills = 3 }, "3 kills, want 4"},
		{"an applicant stopped", func(c *ChaosResult) { c.Errors, c.Told = 1, 19 }, "1 applicants stopped"},
		{"no application", func(c *ChaosResult) { c.OneApplication, c.NoApplication = 19, 1 }, "19 with one application"},
		{"a duplicate application", func(c *ChaosResult) { c.DuplicateApplications = 1 }, "1 duplicate applications"},
		{"a late answer", func(c *ChaosResult) { c.OverBound, c.MaxWait = 1, 6*time.Second }, "1 answers later than 5s"},
		{"a secret left", func(c *ChaosResult) { c.SecretsDeleted = 79 }, "1 secret-bearing messages left"},
		{"a duplicate card", func(c *ChaosResult) { c.DuplicateCards, c.Cards = 1, 21 }, "1 duplicate review cards"},
		{"a missing card", func(c *ChaosResult) { c.MissingCards, c.Cards = 1, 19 }, "1 applications without a review card"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.spoil(&c)
			p := c.Problems()
			if !strings.Contains(strings.Join(p, "\n"), tc.want) {
				t.Errorf("problems %q; want one about %q", p, tc.want)
			}
		})
	}
}
