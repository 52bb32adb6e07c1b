package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	m := New()
	m.UpdateHandled("message", "ok", 3*time.Millisecond)
	m.UpdateHandled("message", "dropped", 0)
	m.TelegramCall("sendMessage", 200, time.Millisecond)
	m.TelegramCall("sendMessage", 429, time.Millisecond)
	m.TelegramCall("getUpdates", 0, time.Millisecond)
	m.TelegramCall("bot123:SECRET", 200, time.Millisecond) // never a token as a label
	m.RedisCommand("EVALSHA", time.Millisecond, false)
	m.PostgresQuery("insert", time.Millisecond, true)
	m.Submitted("submitted")
	m.Decided("approved")
	m.SessionState(1, "start")
	m.SessionState(2, "start")
	m.SessionState(1, "summary")
	m.SessionState(2, "")
	m.SessionState(3, "summary")
	m.Notices(2, 40, 1)
	m.DocumentChecked("refused", 80*time.Millisecond)
	m.WebAppRequest("save", 422, 2*time.Millisecond)
	m.SharedLimitFailed("group")
	m.SharedLimitFailed("chat:5001") // never a chat id as a label

	body := scrape(t, m)
	for _, want := range []string{
		`regbot_updates_total{kind="message",result="ok"} 1`,
		`regbot_updates_total{kind="message",result="dropped"} 1`,
		`regbot_update_duration_seconds_count{kind="message"} 1`,
		`regbot_telegram_requests_total{method="sendMessage",result="ok"} 1`,
		`regbot_telegram_requests_total{method="sendMessage",result="429"} 1`,
		`regbot_telegram_requests_total{method="getUpdates",result="network_error"} 1`,
		`regbot_telegram_requests_total{method="other",result="ok"} 1`,
		`regbot_telegram_rate_limited_total 1`,
		`regbot_redis_command_duration_seconds_count{command="evalsha",result="ok"} 1`,
		`regbot_postgres_query_duration_seconds_count{result="error",statement="insert"} 1`,
		`regbot_submissions_total{status="submitted"} 1`,
		`regbot_decisions_total{verdict="approved"} 1`,
		`regbot_sessions{state="start"} 0`,
		`regbot_sessions{state="summary"} 2`,
		`regbot_notices{state="pending"} 2`,
		`regbot_notices{state="sent"} 40`,
		`regbot_notices{state="given_up"} 1`,
		`regbot_document_check_duration_seconds_count{result="refused"} 1`,
		`regbot_webapp_request_duration_seconds_count{endpoint="save",status="422"} 1`,
		`regbot_shared_limit_failures_total{limit="group"} 1`,
		`regbot_shared_limit_failures_total{limit="other"} 1`,
		`go_goroutines`,
		`process_cpu_seconds_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(body, "SECRET") {
		t.Error("a token-like path became a label")
	}
}
