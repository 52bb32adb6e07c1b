package marketingsim

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/marketing"
)

func TestSimulatorContract(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		status                   int
		wantErr                  string // the error body's code, "" for 200
	}{
		{"ok", "POST", queryPath, `{"account":"5000000002","query_password":"222222"}`, 200, ""},
		{"wrong password", "POST", queryPath, `{"account":"5000000002","query_password":"123456"}`, 401, "wrong_password"},
		{"unknown account", "POST", queryPath, `{"account":"5000000009","query_password":"123456"}`, 404, "unknown_account"},
		{"malformed account", "POST", queryPath, `{"account":"abc","query_password":"123456"}`, 404, "unknown_account"},
		{"not JSON", "POST", queryPath, `account=5000000002`, 400, "bad_request"},
		{"no password", "POST", queryPath, `{"account":"5000000002"}`, 400, "bad_request"},
		{"no account", "POST", queryPath, `{"query_password":"222222"}`, 400, "bad_request"},
		{"GET", "GET", queryPath, ``, 405, "method_not_allowed"},
		{"other path", "POST", "/v1/other", `{}`, 404, "not_found"},
	}
	sim := New(DefaultAccounts())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantErr == "" {
				var r queryResponse
				if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Account != "5000000002" || len(r.MeteringPoints) != 2 {
					t.Errorf("body = %s (%v)", rec.Body, err)
				}
				return
			}
			var e errorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error != tt.wantErr {
				t.Errorf("body = %s, want error %q", rec.Body, tt.wantErr)
			}
		})
	}
}

func TestSimulatorEmptyAccountListsNoPoints(t *testing.T) {
	rec := httptest.NewRecorder()
	New(DefaultAccounts()).ServeHTTP(rec, httptest.NewRequest("POST", queryPath,
		strings.NewReader(`{"account":"5000000005","query_password":"555555"}`)))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"account":"5000000005","metering_points":[]}` {
		t.Errorf("body = %s", got)
	}
}

func TestSimulatorFailNext(t *testing.T) {
	sim := New(DefaultAccounts())
	sim.FailNext(2, http.StatusServiceUnavailable)
	body := `{"account":"5000000001","query_password":"123456"}`
	for i, want := range []int{503, 503, 200} {
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, httptest.NewRequest("POST", queryPath, strings.NewReader(body)))
		if rec.Code != want {
			t.Errorf("request %d: status %d, want %d", i, rec.Code, want)
		}
		if want == 503 && rec.Header().Get("Retry-After") != "1" {
			t.Errorf("request %d: Retry-After = %q", i, rec.Header().Get("Retry-After"))
		}
	}
	if n := sim.Requests(); n != 3 {
		t.Errorf("Requests = %d, want 3", n)
	}
}

func TestSimulatorLatencyHonoursContext(t *testing.T) {
	sim := New(DefaultAccounts())
	sim.Latency = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest("POST", queryPath, strings.NewReader(`{}`)).WithContext(ctx))
	if rec.Body.Len() != 0 {
		t.Errorf("answered %s after the request ended", rec.Body)
	}
}

func TestSimulatorCopiesAccounts(t *testing.T) {
	accs := DefaultAccounts()
	sim := New(accs)
	accs[0].Points[0].Name = "changed"
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest("POST", queryPath,
		strings.NewReader(`{"account":"5000000001","query_password":"123456"}`)))
	if strings.Contains(rec.Body.String(), "changed") {
		t.Error("simulator shares the caller's slice")
	}
}

func TestNewSimulatorDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	New([]Account{{Number: "5000000001"}, {Number: "5000000001"}})
}

func TestSimulatorServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(DefaultAccounts()).Serve(ctx, ln) }()

	pts, err := marketing.NewClient("http://"+ln.Addr().String()).Query(context.Background(), "5000000003", "333333")
	if err != nil || len(pts) != 10 {
		t.Errorf("Query = %d points, %v", len(pts), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after cancel", err)
	}
}

func TestSimulatorListenAndServeBadAddr(t *testing.T) {
	if err := New(nil).ListenAndServe(context.Background(), "no-such-host.invalid:-1"); err == nil {
		t.Error("no error")
	}
}

// TestDefaultAccounts keeps the fixtures within the contract.
func TestDefaultAccounts(t *testing.T) {
	voltages := "AC02202 AC03802 AC00061 AC00101 AC00201 AC02751 AC00351 AC01101 AC02201 AC05001 AC07501"
	tariffs := "large_industrial general_commercial_industrial commercial_industrial commercial_industrial_two_part " +
		"commercial_industrial_single_part agricultural_production residential other"
	in := func(list, code string) bool { return code != "" && strings.Contains(" "+list+" ", " "+code+" ") }

	accs := DefaultAccounts()
	if len(accs) < 4 {
		t.Fatalf("%d accounts, want at least 4", len(accs))
	}
	wantPoints := map[string]int{"5000000001": 3, "5000000002": 2, "5000000003": 10, "5000000004": 1}
	ids := map[string]bool{}
	for _, a := range accs {
		if len(a.Number) != 10 || strings.Trim(a.Number, "0123456789") != "" {
			t.Errorf("account %q is not 10 digits", a.Number)
		}
		if n, ok := wantPoints[a.Number]; ok && len(a.Points) != n {
			t.Errorf("account %s has %d points, want %d", a.Number, len(a.Points), n)
		}
		if a.QueryPassword == "" {
			t.Errorf("account %s has no password", a.Number)
		}
		for _, p := range a.Points {
			if p.ID == "" || p.Name == "" || !strings.HasPrefix(p.Address, "重庆市") {
				t.Errorf("point %+v incomplete", p)
			}
			if ids[p.ID] {
				t.Errorf("point id %s repeated", p.ID)
			}
			ids[p.ID] = true
			if !in(voltages, p.VoltageCode) || !in(tariffs, p.TariffCategory) {
				t.Errorf("point %s: unknown code %q or %q", p.ID, p.VoltageCode, p.TariffCategory)
			}
		}
	}
	if accs[0].Number != "5000000001" || accs[0].QueryPassword != "123456" {
		t.Errorf("first account = %s/%s", accs[0].Number, accs[0].QueryPassword)
	}
}

// TestContractMentionsCode keeps openapi.yaml and the code in step: the
// path, every error code and every code the fixtures use appear in it.
func TestContractMentionsCode(t *testing.T) {
	b, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(b)
	want := []string{queryPath + ":", "query_password", "metering_points", "voltage_code", "tariff_category",
		errWrongPassword, errUnauthorized, errUnknownAccount, errUnavailable, errBadRequest, errNotFound, errMethodNotAllowed,
		"Retry-After", "scheme: bearer"}
	for _, a := range DefaultAccounts() {
		for _, p := range a.Points {
			want = append(want, p.VoltageCode, p.TariffCategory)
		}
	}
	for _, w := range want {
		if !strings.Contains(spec, w) {
			t.Errorf("openapi.yaml does not mention %q", w)
		}
	}
}
