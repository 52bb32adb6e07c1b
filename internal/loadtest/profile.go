package loadtest

// A CPU profile of the bot during the measured window, taken through its
// pprof endpoint (PPROF=true on the operations listener), reduced to the
// top consumers per step.

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/google/pprof/profile"
)

// ProfileEntry is a function's CPU time per step in a profile: flat (in
// the function itself) and cumulative (with what it calls).
type ProfileEntry struct {
	Func      string
	Flat, Cum time.Duration // per step
	FlatShare float64       // of all samples
	CumShare  float64
}

// CPUProfile is the top of a CPU profile of the bot, per step.
type CPUProfile struct {
	Seconds int           // the profile's length
	Steps   int64         // steps taken while it ran
	Sampled time.Duration // CPU time sampled, per step
	Top     []ProfileEntry
	Overran bool // it went on past the measured window (per-step figures too high)
	Err     error
}

// profileTop is how many functions a CPUProfile keeps.
const profileTop = 10

// profileWindow asks the first bot for a CPU profile of the next seconds
// and counts the steps taken meanwhile; run it as the measured window
// begins.
func (r *runner) profileWindow(ctx context.Context, seconds int) *CPUProfile {
	p := &CPUProfile{Seconds: seconds}
	steps0 := r.steps.Load()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", r.cfg.OpsListen, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		p.Err = err
		return p
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.Err = err
		return p
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	p.Steps = r.steps.Load() - steps0
	p.Overran = r.closed.Load()
	if err != nil {
		p.Err = err
		return p
	}
	if resp.StatusCode != http.StatusOK {
		p.Err = fmt.Errorf("pprof: HTTP %d: %.200s", resp.StatusCode, data)
		return p
	}
	prof, err := profile.ParseData(data)
	if err != nil {
		p.Err = err
		return p
	}
	p.reduce(prof)
	return p
}

// reduce keeps the profileTop functions with the most flat CPU time.
func (p *CPUProfile) reduce(prof *profile.Profile) {
	vi := len(prof.SampleType) - 1 // cpu nanoseconds
	for i, st := range prof.SampleType {
		if st.Type == "cpu" {
			vi = i
		}
	}
	flat, cum := map[string]int64{}, map[string]int64{}
	var total int64
	for _, s := range prof.Sample {
		v := s.Value[vi]
		total += v
		seen := map[string]bool{}
		for i, loc := range s.Location {
			for j, line := range loc.Line {
				if line.Function == nil {
					continue
				}
				name := line.Function.Name
				if i == 0 && j == 0 {
					flat[name] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	if p.Steps <= 0 || total == 0 {
		return
	}
	per := func(ns int64) time.Duration { return time.Duration(ns / p.Steps) }
	p.Sampled = per(total)
	for name, v := range flat {
		p.Top = append(p.Top, ProfileEntry{Func: name, Flat: per(v), Cum: per(cum[name]),
			FlatShare: float64(v) / float64(total), CumShare: float64(cum[name]) / float64(total)})
	}
	slices.SortFunc(p.Top, func(a, b ProfileEntry) int { return cmp.Compare(b.Flat, a.Flat) })
	p.Top = p.Top[:min(profileTop, len(p.Top))]
}

// Print writes the profile's top functions.
func (p *CPUProfile) Print(w io.Writer) {
	if p == nil {
		return
	}
	if p.Err != nil {
		fmt.Fprintf(w, "CPU profile: %v\n", p.Err)
		return
	}
	fmt.Fprintf(w, "CPU profile of the bot (%d s of the measured window, %d steps; pprof, sampled %s per step; the document checker is another process):\n",
		p.Seconds, p.Steps, ms(p.Sampled))
	if p.Overran {
		fmt.Fprintln(w, "  (it ran past the measured window: the figures per step are too high)")
	}
	fmt.Fprintf(w, "  %-9s %-6s %-9s %-6s %s\n", "flat/step", "flat%", "cum/step", "cum%", "function")
	for _, e := range p.Top {
		fmt.Fprintf(w, "  %6.1f µs %5.1f%% %6.1f µs %5.1f%% %s\n",
			float64(e.Flat)/1e3, 100*e.FlatShare, float64(e.Cum)/1e3, 100*e.CumShare, e.Func)
	}
}
