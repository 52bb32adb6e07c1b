package marketing

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/domain"
)

// pw is the fixture password of account 5000000001; tests check that it
// appears in no error text.
const pw = "123456"

// mustSimServer runs a simulator with the default accounts on loopback.
func mustSimServer(tb testing.TB) (*marketingsim.Server, *httptest.Server) {
	tb.Helper()
	sim := marketingsim.New(marketingsim.DefaultAccounts())
	srv := httptest.NewServer(sim)
	tb.Cleanup(srv.Close)
	return sim, srv
}

// mustFakeServer runs h on loopback.
func mustFakeServer(tb testing.TB, h http.HandlerFunc) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// blockUntilGone answers nothing until the client hangs up. It reads the
// body first: the server only notices a closed connection (and cancels the
// request's context) once the body has been consumed.
func blockUntilGone(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func TestQuerySuccess(t *testing.T) {
	_, srv := mustSimServer(t)
	got, err := NewClient(srv.URL).Query(context.Background(), "5000000001", pw)
	if err != nil {
		t.Fatal(err)
	}
	want := marketingsim.DefaultAccounts()[0].Points
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Query = %+v, want %+v", got, want)
	}
	if got[0].Name != "1号厂房总表" || got[0].VoltageCode != "AC00101" || got[0].TariffCategory != "large_industrial" {
		t.Errorf("first point = %+v", got[0])
	}
}

func TestQueryEveryFixtureAccount(t *testing.T) {
	_, srv := mustSimServer(t)
	c := NewClient(srv.URL)
	for _, a := range marketingsim.DefaultAccounts() {
		got, err := c.Query(context.Background(), a.Number, a.QueryPassword)
		if err != nil {
			t.Errorf("%s: %v", a.Number, err)
			continue
		}
		if got == nil || !reflect.DeepEqual(got, a.Points) {
			t.Errorf("%s: got %+v, want %+v", a.Number, got, a.Points)
		}
	}
}

func TestQueryBaseURLWithPath(t *testing.T) {
	sim, _ := mustSimServer(t)
	mux := http.NewServeMux()
	mux.Handle("/marketing/", http.StripPrefix("/marketing", sim))
	srv := mustFakeServer(t, mux.ServeHTTP)
	if _, err := NewClient(srv.URL+"/marketing/").Query(context.Background(), "5000000004", "444444"); err != nil {
		t.Fatal(err)
	}
}

func TestQueryToken(t *testing.T) {
	sim, srv := mustSimServer(t)
	sim.Token = "s3cret-token"
	if _, err := NewClient(srv.URL, WithToken("s3cret-token")).Query(context.Background(), "5000000001", pw); err != nil {
		t.Errorf("right token: %v", err)
	}
	// A refused token is the gateway's business, not a wrong query password.
	_, err := NewClient(srv.URL, WithToken("wrong")).Query(context.Background(), "5000000001", pw)
	if domain.ErrorCode(err) != domain.CodeUnavailable {
		t.Errorf("wrong token: err = %v, want code unavailable", err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret-token") {
		t.Errorf("error text %q contains the token", err)
	}
}

// TestQueryErrors covers every failure the client maps; each case also
// checks that the query password appears nowhere in the error text.
func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name    string
		account string
		pw      string
		fail    int              // FailNext status on the simulator, if handler is nil
		handler http.HandlerFunc // replaces the simulator
		opts    []Option
		code    domain.Code
		text    string // in the error text, if not empty
	}{
		{name: "wrong password", account: "5000000001", pw: "654321", code: domain.CodeWrongPassword},
		{name: "empty password", account: "5000000001", pw: "", code: domain.CodeWrongPassword},
		{name: "unknown account", account: "5999999999", pw: pw, code: domain.CodeNotFound},
		{name: "503", account: "5000000001", pw: pw, fail: 503, code: domain.CodeUnavailable, text: "retry after 1s"},
		{name: "429", account: "5000000001", pw: pw, fail: 429, code: domain.CodeUnavailable, text: "status 429"},
		{name: "500", account: "5000000001", pw: pw, fail: 500, code: domain.CodeUnavailable, text: "status 500"},
		{
			name: "timeout", account: "5000000001", pw: pw,
			handler: blockUntilGone,
			opts:    []Option{WithTimeout(50 * time.Millisecond)},
			code:    domain.CodeUnavailable, text: "timed out",
		},
		{
			name: "malformed JSON", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001","metering_points":[{"id":`)
			},
			code: domain.CodeUnavailable, text: "decode response",
		},
		{
			name: "oversized body", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001","metering_points":[],"pad":"`)
				io.WriteString(w, strings.Repeat("x", maxResponseBody))
				io.WriteString(w, `"}`)
			},
			code: domain.CodeUnavailable, text: "larger than",
		},
		{
			name: "point without id", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001","metering_points":[{"id":" ","name":"1号厂房总表"}]}`)
			},
			code: domain.CodeUnavailable, text: "no id",
		},
		{
			name: "point without name", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001","metering_points":[{"id":"1"}]}`)
			},
			code: domain.CodeUnavailable, text: "no name",
		},
		{
			name: "duplicate point", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001","metering_points":[{"id":"1","name":"a"},{"id":"1","name":"b"}]}`)
			},
			code: domain.CodeUnavailable, text: "repeats",
		},
		{
			name: "another account's points", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000002","metering_points":[]}`)
			},
			code: domain.CodeUnavailable, text: "another account",
		},
		{
			name: "no metering_points", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"account":"5000000001"}`)
			},
			code: domain.CodeUnavailable,
		},
		{
			// A misrouted base URL must not tell the user the account is unknown.
			name: "404 without contract body", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			code:    domain.CodeUnavailable, text: "status 404",
		},
		{
			name: "401 without contract body", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "denied", http.StatusUnauthorized)
			},
			code: domain.CodeUnavailable, text: "status 401",
		},
		{
			// The body goes nowhere else: redirects are not followed.
			name: "redirect", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
			},
			code: domain.CodeUnavailable, text: "status 307",
		},
		{
			// The server echoes the password in an error code it should
			// not use; the client drops unknown codes.
			name: "echoing server", account: "5000000001", pw: pw,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"error":"bad password `+pw+`"}`)
			},
			code: domain.CodeUnavailable, text: "status 400",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var url string
			if tt.handler != nil {
				url = mustFakeServer(t, tt.handler).URL
			} else {
				sim, srv := mustSimServer(t)
				if tt.fail != 0 {
					sim.FailNext(1, tt.fail)
				}
				url = srv.URL
			}
			opts := append([]Option{WithRetries(1, 0, 0)}, tt.opts...)
			got, err := NewClient(url, opts...).Query(context.Background(), tt.account, tt.pw)
			if got != nil {
				t.Errorf("points = %+v, want none", got)
			}
			if code := domain.ErrorCode(err); code != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if tt.text != "" && !strings.Contains(err.Error(), tt.text) {
				t.Errorf("err = %q, want it to contain %q", err, tt.text)
			}
			if tt.pw != "" && strings.Contains(err.Error(), tt.pw) {
				t.Errorf("err = %q contains the query password", err)
			}
		})
	}
}

func TestQueryCallerCancel(t *testing.T) {
	srv := mustFakeServer(t, blockUntilGone)
	ctx, cancel := context.WithCancel(context.Background())
	c := NewClient(srv.URL)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Query(ctx, "5000000001", pw)
		errc <- err
	}()
	cancel()
	err := <-errc
	if domain.ErrorCode(err) != domain.CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want unavailable wrapping context.Canceled", err)
	}
}

// TestQueryRequest checks what goes over the wire: the password only in the
// body, never in the URL or a header.
func TestQueryRequest(t *testing.T) {
	const secret = "pw-in-body-only"
	var (
		gotMethod, gotPath, gotQuery, gotCT, gotAuth string
		gotBody                                      string
		headerLeak                                   bool
	)
	srv := mustFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotPath, gotQuery = r.Method, r.URL.Path, r.URL.RawQuery
		gotCT, gotAuth = r.Header.Get("Content-Type"), r.Header.Get("Authorization")
		for _, vs := range r.Header {
			for _, v := range vs {
				headerLeak = headerLeak || strings.Contains(v, secret)
			}
		}
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		io.WriteString(w, `{"account":"5000000001","metering_points":[]}`)
	})
	got, err := NewClient(srv.URL, WithToken("tok")).Query(context.Background(), "5000000001", secret)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("points = %#v, want empty non-nil", got)
	}
	if gotMethod != http.MethodPost || gotPath != "/v1/metering-points/query" || gotQuery != "" {
		t.Errorf("request = %s %s?%s", gotMethod, gotPath, gotQuery)
	}
	if gotCT != "application/json" || gotAuth != "Bearer tok" {
		t.Errorf("Content-Type %q, Authorization %q", gotCT, gotAuth)
	}
	if want := `{"account":"5000000001","query_password":"` + secret + `"}`; gotBody != want {
		t.Errorf("body = %s, want %s", gotBody, want)
	}
	if headerLeak {
		t.Error("a header carries the query password")
	}
}

func TestNewClientBadURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8089", "ftp://x", "http://"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewClient(%q) did not panic", u)
				}
			}()
			NewClient(u)
		}()
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true}, // in the past: now
	}
	for _, tt := range tests {
		if got, ok := retryAfter(tt.h, now); got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.h, got, ok, tt.want, tt.ok)
		}
	}
}
