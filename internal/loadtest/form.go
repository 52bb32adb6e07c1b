package loadtest

// The form-save scenario (SPEC §6: a Mini App form save, server side, p99
// ≤ 20 ms at 200 saves/s): every user is brought through the chat to the
// login name's question, where the chat offers the form; then saves of
// the whole form, every field typed (the ID number and the password
// included, sealed on each save), are offered at FormRate a second, dealt
// to the users in turn, in an open loop (a user's first save sets every
// field, the ID number and the password sealed; the later ones change
// three and leave the secrets as held). Each
// save is timed by the bot
// itself (the Server-Timing header the form's API sets: the handler's own
// time, launch data check to the draft written) and by the tool (the HTTP
// round trip on loopback); the bot's CPU and Redis round trips are read
// over the window. Every save must be accepted (200, saved) and sends the
// chat its two replies (what the form set, the next question), as in
// production.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regbot/regbot/bot/webapp"
	"github.com/regbot/regbot/domain"
	"golang.org/x/time/rate"
)

// webAppURL is the form's address the bot is given (Telegram never opens
// it in a load run: the tool posts to the listener serving its path).
const webAppURL = "https://loadtest.invalid/webapp/"

// formSteps are the script's steps that bring a user to the login name's
// question, where the form is offered.
const formSteps = 6

// formBody is a complete form for user i, the values varying with n so
// that each save writes. The first save of a user (first) types the ID
// number and the password; a later one leaves them empty, as the page
// does once they are held (they are kept).
func formBody(run string, i, n int, first bool) []byte {
	id, pw := "", ""
	if first {
		id, pw = "11010519491231002x", "Yx#2026pass"
	}
	b, _ := json.Marshal(map[string]any{
		"values": map[domain.Field]string{
			domain.FieldLoginName: fmt.Sprintf("lt%s%06d", run, i), domain.FieldUserName: "重庆渝新交易员",
			domain.FieldLegalRepID: id, domain.FieldPassword: pw, domain.FieldLegalRepName: "王五",
			domain.FieldRegisteredCapital: strconv.Itoa(100 + n%900), domain.FieldFoundedOn: "2008-03-18",
			domain.FieldBusinessTerm: "open", domain.FieldIndustry: fmt.Sprintf("通用设备制造业%d", n%7),
			domain.FieldUserType: "retail", domain.FieldRegion: "500103",
			domain.FieldRegisteredAddress: "重庆市渝中区解放碑某某街18号", domain.FieldBankName: "中国建设银行重庆解放碑支行",
			domain.FieldBankAccountName: "重庆渝新机械制造有限公司", domain.FieldBankAccountNumber: "5000123456789012",
			domain.FieldContactPerson: "赵六", domain.FieldContactPosition: "能源经理", domain.FieldMobile: "19923456789",
			domain.FieldEmail: "zhao6@example.com", domain.FieldLandline: "023-63001234", domain.FieldFax: "",
			domain.FieldMailingAddress: "重庆市渝中区邮政信箱88号", domain.FieldPostcode: fmt.Sprintf("4%05d", n%100000),
		},
		"base":    map[domain.Field]string{},
		"again":   map[domain.Field]string{domain.FieldPassword: pw},
		"confirm": []domain.Field{domain.FieldUserType},
	})
	return b
}

// formLoop is the form-save scenario: the warm-up through the chat, then
// the measured saves.
func (r *runner) formLoop(ctx context.Context) {
	r.res.Mode = "form"
	r.warmUpTo(ctx, formSteps)
	if r.errs.Load() > 0 {
		return
	}
	r.logf("form: %d users at the login question", len(r.order))

	client := &http.Client{Timeout: r.cfg.StepTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512}}
	n := r.cfg.FormSaves
	if n <= 0 {
		n = int(30 * r.cfg.FormRate)
	}
	auth := make([]string, len(r.order))
	for i, u := range r.order {
		auth[i] = "tma " + webapp.Sign(webapp.UserFields(u.chatID, "zh-hans", time.Now()), r.api.Token)
	}
	var (
		mu                   sync.Mutex
		server, rtt, initial []time.Duration
		engine               []time.Duration
		lags                 []time.Duration
		ok, failed           atomic.Int64
		wg                   sync.WaitGroup
	)
	r.begin(ctx)
	start := r.win.start
	for k := range n {
		due := start.Add(time.Duration(float64(k) / r.cfg.FormRate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				r.end()
				return
			}
		}
		i := k % len(r.order)
		base := r.formBases[k%len(r.formBases)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"api/save", bytes.NewReader(formBody(r.run, i, k, k < len(r.order))))
			req.Header.Set("Authorization", auth[i])
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				r.fail(r.order[i], step{arg: "form save"}, err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			took := time.Since(sent)
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"saved":true`)) {
				failed.Add(1)
				r.fail(r.order[i], step{arg: "form save"}, fmt.Errorf("status %d: %.200s", resp.StatusCode, body))
				return
			}
			ok.Add(1)
			st := serverTiming(resp.Header.Get("Server-Timing"))
			mu.Lock()
			server, rtt = append(server, st), append(rtt, took)
			engine = append(engine, timing(resp.Header.Get("Server-Timing"), "engine"))
			if k < len(r.order) { // the user's first save: every field new
				initial = append(initial, st)
			}
			lags = append(lags, sent.Sub(due))
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.end()
	res, w := r.res, &r.win
	res.FormSaves, res.FormErrors, res.Elapsed = ok.Load(), failed.Load(), w.elapsed
	res.FormRate = r.cfg.FormRate
	res.StepsPerSec = float64(res.FormSaves) / w.elapsed.Seconds()
	res.OfferedAchieved = res.StepsPerSec / r.cfg.FormRate
	res.P50, res.P90, res.P99, res.Max = pct(server, 50), pct(server, 90), pct(server, 99), pct(server, 100)
	res.FormClientP50, res.FormClientP99 = pct(rtt, 50), pct(rtt, 99)
	res.FormFirstP50, res.FormFirstP99, res.FormFirst = pct(initial, 50), pct(initial, 99), len(initial)
	res.FormEngineP50, res.FormEngineP99 = pct(engine, 50), pct(engine, 99)
	res.SendLagP99 = pct(lags, 99)
	res.CPUUtilisation = (w.cpu1 - w.cpu0).Seconds() / w.elapsed.Seconds()
	res.LoadToolCPU, res.RedisCPU = w.self1-w.self0, w.redis1-w.redis0
	res.Errors = r.errs.Load()
	if res.FormSaves > 0 {
		res.CPUPerStep = (w.cpu1 - w.cpu0) / time.Duration(res.FormSaves)
		res.RedisByCmd, res.RedisCmdsPerStep, res.RedisCallsPerStep = redisPerStep(w.stats0, w.stats1, res.FormSaves)
	}
}

// warmUpTo takes every user through the script's first steps, Active at
// once, recording nothing.
func (r *runner) warmUpTo(ctx context.Context, steps int) {
	first := make([]int, len(r.order))
	pacers := make([]*rate.Limiter, len(r.order))
	for i := range first {
		first[i], pacers[i] = steps, r.newPacer()
	}
	r.warmUp(ctx, first, pacers)
}

// serverTiming reads the first metric's duration of a Server-Timing
// header ("app;dur=1.234, engine;dur=0.9": 1.234 ms).
func serverTiming(h string) time.Duration { return timing(h, "") }

// timing reads metric name's duration of a Server-Timing header (the
// first metric's for "").
func timing(h, name string) time.Duration {
	for m := range strings.SplitSeq(h, ",") {
		m = strings.TrimSpace(m)
		if name != "" && !strings.HasPrefix(m, name+";") {
			continue
		}
		_, v, ok := strings.Cut(m, "dur=")
		if !ok {
			return 0
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]), 64)
		if err != nil {
			return 0
		}
		return time.Duration(f * float64(time.Millisecond))
	}
	return 0
}

// printForm writes the form-save scenario's figures.
func (r *Result) printForm(w io.Writer) {
	transport := "long polling, the form on the ops listener"
	if r.Webhook {
		transport = fmt.Sprintf("webhook, %d replica(s), the form beside the webhook", r.Replicas)
	}
	fmt.Fprintf(w, "mode form saves (complete forms: every field sent), %s, %d users at the login question\n",
		transport, r.Users)
	fmt.Fprintf(w, "form saves            %d in %v, errors %d; offered %.0f/s, achieved %.0f/s (%.0f%%; sent late: p99 %s)\n",
		r.FormSaves, r.Elapsed.Round(time.Millisecond), r.FormErrors, r.FormRate, r.StepsPerSec, 100*r.OfferedAchieved, ms(r.SendLagP99))
	fmt.Fprintf(w, "save, server side (Server-Timing) p50 %s p90 %s p99 %s max %s\n",
		ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "  of it in the engine (draft read, rules, draft written) p50 %s p99 %s\n", ms(r.FormEngineP50), ms(r.FormEngineP99))
	fmt.Fprintf(w, "  each user's first save (%d: every field new, the login name checked in Postgres, the secrets sealed) p50 %s p99 %s; later saves change three fields and keep the secrets\n",
		r.FormFirst, ms(r.FormFirstP50), ms(r.FormFirstP99))
	fmt.Fprintf(w, "save, HTTP round trip on loopback p50 %s p99 %s\n", ms(r.FormClientP50), ms(r.FormClientP99))
	fmt.Fprintf(w, "bot CPU per save      %s (bot CPU %.2f cores busy; the chat's two replies per save included)\n", ms(r.CPUPerStep), r.CPUUtilisation)
	fmt.Fprintf(w, "redis round trips/save %.3f; all commands incl. inside scripts %.2f\n", r.RedisCallsPerStep, r.RedisCmdsPerStep)
	fmt.Fprintf(w, "CPU during the saves: bot %.1f s, load tool + fake Telegram %.1f s, redis-server %.1f s (wall %.1f s)\n",
		r.CPUUtilisation*r.Elapsed.Seconds(), r.LoadToolCPU.Seconds(), r.RedisCPU.Seconds(), r.Elapsed.Seconds())
}
