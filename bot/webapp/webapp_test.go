package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

const token = "123456:TEST-token"

var (
	now     = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	nowSecs = strconv.FormatInt(now.Unix(), 10)
	quiet   = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// TestVerify checks launch data as Telegram documents it, against data we
// sign ourselves and a fixed vector computed independently (Python's hmac:
// key "WebAppData", then the data-check string).
func TestVerify(t *testing.T) {
	good := Sign(UserFields(5001, "zh-hans", now.Add(-time.Minute)), token)
	d, err := Verify(good, token, now, time.Hour)
	if err != nil || d.UserID != 5001 || d.Language != "zh-hans" || !d.AuthDate.Equal(now.Add(-time.Minute)) {
		t.Fatalf("Verify(good) = %+v, %v", d, err)
	}

	// hmac.new(hmac.new(b"WebAppData", b"123456:TEST-token", sha256).digest(),
	//          b"auth_date=1764583200\nquery_id=AAE\nsignature=c2ln\nuser={\"id\":42}", sha256).hexdigest()
	vector := "auth_date=1764583200&query_id=AAE&signature=c2ln&user=%7B%22id%22%3A42%7D" +
		"&hash=" + fixedHash
	if d, err := Verify(vector, token, time.Unix(1764583200, 0), time.Hour); err != nil || d.UserID != 42 {
		t.Errorf("Verify(vector) = %+v, %v", d, err)
	}

	tamper := func(f func(url.Values)) string {
		v, _ := url.ParseQuery(good)
		f(v)
		return v.Encode()
	}
	for name, c := range map[string]struct {
		raw  string
		want error
	}{
		"empty":         {"", errMissing},
		"no hash":       {tamper(func(v url.Values) { v.Del("hash") }), errForged},
		"bad hash":      {tamper(func(v url.Values) { v.Set("hash", strings.Repeat("0", 64)) }), errForged},
		"other user":    {tamper(func(v url.Values) { v.Set("user", `{"id":5002}`) }), errForged},
		"later date":    {tamper(func(v url.Values) { v.Set("auth_date", "9999999999") }), errForged},
		"field added":   {tamper(func(v url.Values) { v.Set("start_param", "x") }), errForged},
		"other bot":     {Sign(UserFields(5001, "zh", now), "999:OTHER"), errForged},
		"stale":         {Sign(UserFields(5001, "zh", now.Add(-time.Hour-time.Second)), token), errStale},
		"future":        {Sign(UserFields(5001, "zh", now.Add(2*time.Minute)), token), errFuture},
		"no user":       {Sign(url.Values{"auth_date": {nowSecs}}, token), errNoUser},
		"field twice":   {good + "&chat_type=private", errMalformed},
		"not a query":   {"%zz", errMalformed},
		"no auth_date":  {Sign(url.Values{"user": {`{"id":1}`}}, token), errMalformed},
		"user id zero":  {Sign(url.Values{"user": {`{"id":0}`}, "auth_date": {nowSecs}}, token), errNoUser},
		"hash not hex":  {tamper(func(v url.Values) { v.Set("hash", "zz") }), errForged},
		"short hash":    {tamper(func(v url.Values) { v.Set("hash", "abcd") }), errForged},
		"hash of empty": {"hash=" + strings.Repeat("ab", 32), errForged},
	} {
		if _, err := Verify(c.raw, token, now, time.Hour); !errors.Is(err, c.want) || !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: Verify = %v, want %v", name, err, c.want)
		}
	}
}

// fixedHash is the vector's hash, computed outside Go (see TestVerify).
const fixedHash = "cbf89fdd328b64f64b5a3db132255f4c355eb3cf7a0f84ab2567b94b8be416a7"

// fakeForms records calls and answers with scripted results.
type fakeForms struct {
	mu     sync.Mutex
	calls  []string
	chats  []int64
	inputs []conversation.FormInput
	form   conversation.Form
	res    conversation.FormResult
	out    []conversation.Reply
	err    error
}

func (f *fakeForms) record(name string, chat int64, in conversation.FormInput) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	f.chats = append(f.chats, chat)
	f.inputs = append(f.inputs, in)
}

func (f *fakeForms) Form(_ context.Context, chat int64) (conversation.Form, error) {
	f.record("form", chat, conversation.FormInput{})
	return f.form, f.err
}

func (f *fakeForms) CheckForm(_ context.Context, chat int64, in conversation.FormInput) (conversation.FormResult, error) {
	f.record("check", chat, in)
	return f.res, f.err
}

func (f *fakeForms) SaveForm(_ context.Context, chat int64, in conversation.FormInput) (conversation.FormResult, []conversation.Reply, error) {
	f.record("save", chat, in)
	return f.res, f.out, f.err
}

type delivered struct {
	chat    int64
	replies []conversation.Reply
}

func newServer(t *testing.T, forms *fakeForms) (*httptest.Server, chan delivered) {
	t.Helper()
	ch := make(chan delivered, 10)
	s := New(Options{Token: token, Forms: forms, Now: func() time.Time { return now }, Rate: -1, Logger: quiet,
		Deliver: func(chat int64, r []conversation.Reply) { ch <- delivered{chat, r} }})
	srv := httptest.NewServer(http.StripPrefix("/webapp", s))
	t.Cleanup(srv.Close)
	return srv, ch
}

func call(t *testing.T, srv *httptest.Server, method, path, initData, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+"/webapp/"+path, strings.NewReader(body))
	if initData != "" {
		req.Header.Set("Authorization", "tma "+initData)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m, resp.Header
}

// TestAPIRefusesUnverified: forged, stale and other bots' launch data get
// 401 with the form's text and reach no form.
func TestAPIRefusesUnverified(t *testing.T) {
	forms := &fakeForms{}
	srv, delivered := newServer(t, forms)
	v, _ := url.ParseQuery(Sign(UserFields(5001, "en", now), token))
	v.Set("user", `{"id":5002,"language_code":"en"}`)
	for name, raw := range map[string]string{
		"none":      "",
		"forged":    v.Encode(),
		"stale":     Sign(UserFields(5001, "zh", now.Add(-2*time.Hour)), token),
		"other bot": Sign(UserFields(5001, "zh", now), "1:other"),
	} {
		for _, ep := range []struct{ method, path string }{{"GET", "api/form"}, {"POST", "api/check"}, {"POST", "api/save"}} {
			code, body, _ := call(t, srv, ep.method, ep.path, raw, `{"values":{"legal_rep_name":"张三"}}`)
			if code != http.StatusUnauthorized || body["error"] == "" {
				t.Errorf("%s %s: %d %v", name, ep.path, code, body)
			}
		}
	}
	if code, body, _ := call(t, srv, "GET", "api/form", v.Encode(), ""); !strings.Contains(body["error"].(string), "cannot confirm") || code != 401 {
		t.Errorf("refusal in the claimed language: %v", body)
	}
	if len(forms.calls) != 0 || len(delivered) != 0 {
		t.Errorf("refused requests reached the form: %v", forms.calls)
	}
}

// TestAPI: verified requests reach the form of the user's own chat; a
// save's replies go to the chat; refusals and closed forms have their
// statuses; every answer says its server time.
func TestAPI(t *testing.T) {
	forms := &fakeForms{form: conversation.Form{Lang: "zh", Title: "注册信息表单"}}
	srv, delivered := newServer(t, forms)
	id := Sign(UserFields(5001, "zh-hans", now), token)

	code, body, h := call(t, srv, "GET", "api/form", id, "")
	if code != 200 || body["title"] != "注册信息表单" || !strings.HasPrefix(h.Get("Server-Timing"), "app;dur=") {
		t.Errorf("form: %d %v %v", code, body, h)
	}
	forms.res = conversation.FormResult{Errors: map[domain.Field]string{domain.FieldMobile: "手机号应为 11 位数字"}}
	code, body, _ = call(t, srv, "POST", "api/save", id, `{"values":{"mobile":"123"},"base":{"mobile":""}}`)
	if code != http.StatusUnprocessableEntity || body["errors"] == nil || len(delivered) != 0 {
		t.Errorf("refused save: %d %v", code, body)
	}
	forms.res = conversation.FormResult{Saved: true, Message: "已保存"}
	forms.out = []conversation.Reply{{Text: "已通过表单保存"}}
	code, _, _ = call(t, srv, "POST", "api/save", id, `{"values":{"mobile":"13800138000"}}`)
	if d := <-delivered; code != 200 || d.chat != 5001 || d.replies[0].Text != "已通过表单保存" {
		t.Errorf("save: %d, delivered %+v", code, d)
	}
	if in := forms.inputs[len(forms.inputs)-1]; in.Values[domain.FieldMobile] != "13800138000" {
		t.Errorf("input %+v", in)
	}
	forms.res = conversation.FormResult{Closed: "申请已提交"}
	if code, body, _ := call(t, srv, "POST", "api/check", id, `{}`); code != http.StatusConflict || body["closed"] != "申请已提交" {
		t.Errorf("closed: %d %v", code, body)
	}
	forms.err = &domain.Error{Code: domain.CodeUnavailable}
	if code, body, _ := call(t, srv, "POST", "api/save", id, `{}`); code != http.StatusServiceUnavailable || body["error"] == "" {
		t.Errorf("store down: %d %v", code, body)
	}
	forms.err = nil
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "api/form", "", http.StatusMethodNotAllowed},
		{"GET", "api/save", "", http.StatusMethodNotAllowed},
		{"POST", "api/save", "not json", http.StatusBadRequest},
		{"POST", "api/save", `{"values":{"x":"` + strings.Repeat("a", maxBody) + `"}}`, http.StatusRequestEntityTooLarge},
		{"GET", "api/other", "", http.StatusNotFound},
	} {
		if code, _, _ := call(t, srv, c.method, c.path, id, c.body); code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}
	for _, ch := range forms.chats {
		if ch != 5001 {
			t.Errorf("a request reached chat %d", ch)
		}
	}
}

// TestPage: the page and its files are served, with a policy that allows
// only its own script and style.
func TestPage(t *testing.T) {
	srv, _ := newServer(t, &fakeForms{})
	for path, want := range map[string]string{"": "<main id=\"app\"", "app.js": "tgWebAppData", "app.css": "--tg-theme-bg-color"} {
		resp, err := http.Get(srv.URL + "/webapp/" + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%q: %d, missing %q", path, resp.StatusCode, want)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%q: CSP %q", path, csp)
		}
	}
}

// TestRateLimit: one user's requests past the burst wait; others' do not.
func TestRateLimit(t *testing.T) {
	forms := &fakeForms{}
	s := New(Options{Token: token, Forms: forms, Now: func() time.Time { return now }, Rate: 1, Burst: 2, Logger: quiet,
		Deliver: func(int64, []conversation.Reply) {}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	get := func(user int64) int {
		req, _ := http.NewRequest("GET", srv.URL+"/api/form", nil)
		req.Header.Set("Authorization", "tma "+Sign(UserFields(user, "zh", now), token))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b, c := get(1), get(1), get(1); a != 200 || b != 200 || c != http.StatusTooManyRequests {
		t.Errorf("user 1: %d %d %d", a, b, c)
	}
	if get(2) != 200 {
		t.Error("user 2 limited by user 1")
	}
}

// TestTextsExist: the texts the server words itself are in the message
// files, without placeholders.
func TestTextsExist(t *testing.T) {
	msgs := New(Options{Token: token, Forms: &fakeForms{}, Deliver: func(int64, []conversation.Reply) {}}).msgs
	for _, k := range []string{"form.unauthorized", "form.slow_down", "retry.later"} {
		if !msgs.Has(k) || len(msgs.Placeholders(k)) != 0 {
			t.Errorf("text %q: missing, or it takes placeholders the server does not give", k)
		}
	}
}
