// Package metrics is regbot's Prometheus instrumentation: one private
// registry with every collector, fed by the transport (bot.Observer), the
// Redis and Postgres adapters' hooks and the decorators in main. Labels
// carry method, command, kind and state names only: never chat ids, texts
// or other personal data.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. Create it with New; the zero value is not
// usable. All methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	updates     *prometheus.CounterVec
	step        *prometheus.HistogramVec
	tgCalls     *prometheus.CounterVec
	tgLatency   *prometheus.HistogramVec
	tg429       prometheus.Counter
	limitFails  *prometheus.CounterVec
	redis       *prometheus.HistogramVec
	postgres    *prometheus.HistogramVec
	submissions *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	sessions    *prometheus.GaugeVec
	notices     *prometheus.GaugeVec
	waiting     *prometheus.GaugeVec
	documents   *prometheus.HistogramVec
	webapp      *prometheus.HistogramVec

	mu     sync.Mutex
	states map[int64]uint8 // chat → state (index into stateNames) of the sessions this process saw
	// stateNames and stateIDs number the states: a byte per chat instead
	// of a string header (16 bytes) keeps the map at a third of the size;
	// with 10,000 chats it was ~1.5 MiB of the bot's live heap.
	stateNames []string
	stateIDs   map[string]uint8
}

// maxTrackedChats bounds the chat → state map behind the sessions gauge;
// past it the map and gauge start over (the gauge is an estimate anyway).
const maxTrackedChats = 200_000

// latencyBuckets suit calls of 0.1 ms to 10 s.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the metrics on a new registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbot_updates_total",
			Help: "Telegram updates handled, by kind (message, callback_query, review, other) and result (ok, error, panic, dropped).",
		}, []string{"kind", "result"}),
		step: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_update_duration_seconds",
			Help:    "Time from an update's receipt to its replies sent (review-group replies queue in the outbox), by kind.",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		tgCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbot_telegram_requests_total",
			Help: "Bot API requests by method and result (ok, or the HTTP status, or network_error).",
		}, []string{"method", "result"}),
		tgLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_telegram_request_duration_seconds",
			Help:    "Bot API request latency by method (getUpdates includes the long poll).",
			Buckets: latencyBuckets,
		}, []string{"method"}),
		tg429: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "regbot_telegram_rate_limited_total",
			Help: "Bot API requests answered 429 Too Many Requests.",
		}),
		limitFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbot_shared_limit_failures_total",
			Help: "Rate-limit decisions that the replicas' shared bucket in Redis could not make, so that this process's own bucket made them, by limit (chat: an applicant's updates, group: the review group's sends).",
		}, []string{"limit"}),
		redis: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_redis_command_duration_seconds",
			Help:    "Redis command latency by command (pipeline for pipelines) and result (ok, error).",
			Buckets: latencyBuckets,
		}, []string{"command", "result"}),
		postgres: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_postgres_query_duration_seconds",
			Help:    "Postgres query latency by statement kind (select, insert, …) and result (ok, error).",
			Buckets: latencyBuckets,
		}, []string{"statement", "result"}),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbot_submissions_total",
			Help: "Applications submitted, by status (submitted, resubmitted); repeated submits of one draft count once.",
		}, []string{"status"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "regbot_decisions_total",
			Help: "Review decisions recorded, by verdict (approved, rejected).",
		}, []string{"verdict"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "regbot_sessions",
			Help: "Sessions by dialogue state, among the chats whose updates this process handled since it started (an estimate: no Redis scan; sessions that expire or move to another replica are not seen leaving).",
		}, []string{"state"}),
		notices: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "regbot_notices",
			Help: "Notices of the Postgres outbox (review-group digests, applicants' decisions) by state: pending (not sent yet: a backlog means the group or the applicants are not being told), sent and given_up (kept 30 days). Read once a minute.",
		}, []string{"state"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "regbot_applications_waiting_oldest_seconds",
			Help: "Age of the oldest application waiting, by stage: review (submitted, no decision yet) and handoff (approved, account not recorded yet); 0 when none waits. Read once a minute.",
		}, []string{"stage"}),
		documents: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_document_check_duration_seconds",
			Help:    "Checks of uploaded PDFs and photo conversions (in the document checker's child process), by result: accepted, refused (the file is at fault: not a PDF, broken, encrypted, or past the checker's memory or time limit) or unavailable (the checker could not run it).",
			Buckets: latencyBuckets,
		}, []string{"result"}),
		webapp: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "regbot_webapp_request_duration_seconds",
			Help:    "Requests to the Mini App form's API by endpoint (form, check, save) and status (200, 401, 409, 422, …), server side.",
			Buckets: latencyBuckets,
		}, []string{"endpoint", "status"}),
		states:   map[int64]uint8{},
		stateIDs: map[string]uint8{},
	}
	reg.MustRegister(m.updates, m.step, m.tgCalls, m.tgLatency, m.tg429, m.limitFails, m.redis, m.postgres,
		m.submissions, m.decisions, m.sessions, m.notices, m.waiting, m.documents, m.webapp)
	return m
}

// Registry is the registry the collectors are registered with.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// UpdateHandled implements bot.Observer.
func (m *Metrics) UpdateHandled(kind, result string, d time.Duration) {
	m.updates.WithLabelValues(kind, result).Inc()
	if result != "dropped" {
		m.step.WithLabelValues(kind).Observe(d.Seconds())
	}
}

// TelegramCall implements bot.Observer.
func (m *Metrics) TelegramCall(method string, status int, d time.Duration) {
	if !knownMethod(method) {
		method = "other" // bounded label values
	}
	result := "ok"
	switch {
	case status == 0:
		result = "network_error"
	case status != http.StatusOK:
		result = strconv.Itoa(status)
	}
	if status == http.StatusTooManyRequests {
		m.tg429.Inc()
	}
	m.tgCalls.WithLabelValues(method, result).Inc()
	m.tgLatency.WithLabelValues(method).Observe(d.Seconds())
}

// SharedLimitFailed implements bot.Observer.
func (m *Metrics) SharedLimitFailed(limit string) {
	if limit != "chat" && limit != "group" {
		limit = "other" // bounded label values
	}
	m.limitFails.WithLabelValues(limit).Inc()
}

// knownMethod reports whether method looks like a Bot API method name.
func knownMethod(method string) bool {
	if method == "" || len(method) > 40 {
		return false
	}
	for _, r := range method {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// RedisCommand records one Redis command (or pipeline).
func (m *Metrics) RedisCommand(command string, d time.Duration, failed bool) {
	m.redis.WithLabelValues(strings.ToLower(command), result(failed)).Observe(d.Seconds())
}

// PostgresQuery records one Postgres statement by its kind.
func (m *Metrics) PostgresQuery(statement string, d time.Duration, failed bool) {
	m.postgres.WithLabelValues(statement, result(failed)).Observe(d.Seconds())
}

func result(failed bool) string {
	if failed {
		return "error"
	}
	return "ok"
}

// Submitted counts a new application (status submitted or resubmitted).
func (m *Metrics) Submitted(status string) { m.submissions.WithLabelValues(status).Inc() }

// DocumentChecked records one check of an upload: result is accepted,
// refused or unavailable.
func (m *Metrics) DocumentChecked(result string, d time.Duration) {
	m.documents.WithLabelValues(result).Observe(d.Seconds())
}

// WebAppRequest records one request to the Mini App form's API
// (webapp.Options.Observe).
func (m *Metrics) WebAppRequest(endpoint string, status int, d time.Duration) {
	m.webapp.WithLabelValues(endpoint, strconv.Itoa(status)).Observe(d.Seconds())
}

// Decided counts a recorded decision (approved or rejected).
func (m *Metrics) Decided(verdict string) { m.decisions.WithLabelValues(verdict).Inc() }

// Notices sets the notices gauge from counts read in Postgres.
func (m *Metrics) Notices(pending, sent, givenUp int) {
	m.notices.WithLabelValues("pending").Set(float64(pending))
	m.notices.WithLabelValues("sent").Set(float64(sent))
	m.notices.WithLabelValues("given_up").Set(float64(givenUp))
}

// Waiting sets the age of the oldest application waiting for review and
// for its account at now (zero times: none waits).
func (m *Metrics) Waiting(now, review, handoff time.Time) {
	age := func(since time.Time) float64 {
		if since.IsZero() {
			return 0
		}
		return max(now.Sub(since).Seconds(), 0)
	}
	m.waiting.WithLabelValues("review").Set(age(review))
	m.waiting.WithLabelValues("handoff").Set(age(handoff))
}

// SessionState records that chat's session is now in state ("" when it
// was deleted).
func (m *Metrics) SessionState(chat int64, state string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, seen := m.states[chat]
	id, known := m.stateIDs[state]
	if seen && known && old == id {
		return
	}
	if seen {
		m.sessions.WithLabelValues(m.stateNames[old]).Dec()
	}
	if state == "" {
		delete(m.states, chat)
		return
	}
	if !known {
		if len(m.stateNames) > 255 { // never: the dialogue has a few dozen states
			delete(m.states, chat)
			return
		}
		id = uint8(len(m.stateNames))
		m.stateNames = append(m.stateNames, state)
		m.stateIDs[state] = id
	}
	if !seen && len(m.states) >= maxTrackedChats {
		clear(m.states)
		m.sessions.Reset()
	}
	m.states[chat] = id
	m.sessions.WithLabelValues(state).Inc()
}
