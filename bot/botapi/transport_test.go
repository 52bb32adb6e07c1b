package botapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSizedBodies: a streamed body of unknown length arrives whole, with a
// Content-Length when it is small and chunked when it is large; a failure
// while it is produced is the request's error.
func TestSizedBodies(t *testing.T) {
	type got struct {
		length int64
		te     []string
		body   []byte
	}
	seen := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- got{r.ContentLength, r.TransferEncoding, b}
	}))
	defer srv.Close()
	c := &http.Client{Transport: sizedBodies{http.DefaultTransport}}
	post := func(body []byte, fail error) (*http.Response, error) {
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < len(body); i += 100 { // small writes, as a multipart form makes
				if _, err := pw.Write(body[i:min(i+100, len(body))]); err != nil {
					return
				}
			}
			pw.CloseWithError(fail)
		}()
		req, _ := http.NewRequest("POST", srv.URL, pr)
		return c.Do(req)
	}
	for _, tt := range []struct {
		name    string
		size    int
		chunked bool
	}{
		{"small", 1500, false},
		{"at the limit", maxSizedBody, false},
		{"a document", maxSizedBody + 5000, true},
	} {
		body := bytes.Repeat([]byte("0123456789abcdefg"), tt.size/17+1)[:tt.size]
		resp, err := post(body, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		g := <-seen
		if !bytes.Equal(g.body, body) {
			t.Errorf("%s: body of %d bytes arrived as %d", tt.name, len(body), len(g.body))
		}
		if chunked := len(g.te) > 0 && g.te[0] == "chunked"; chunked != tt.chunked || !chunked && g.length != int64(len(body)) {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v", tt.name, g.length, g.te)
		}
	}
	if _, err := post([]byte("part"), errors.New("form failed")); err == nil || !strings.Contains(err.Error(), "form failed") {
		t.Errorf("a failing body gave %v", err)
	}
}

// TestDeadlines: a call without a deadline is cut off at max, also while
// its body is read; a call with its own deadline keeps it.
func TestDeadlines(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("part"))
			w.(http.Flusher).Flush()
		}
		select { // hangs until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: deadlines{next: http.DefaultTransport, max: 50 * time.Millisecond}}

	if _, err := c.Get(srv.URL + "/hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no deadline: err %v, want the transport's deadline", err)
	}
	resp, err := c.Get(srv.URL + "/body")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reading the body: err %v, want the transport's deadline", err)
	}

	// A call with its own deadline keeps it: cancelled by the caller
	// instead, long after max would have passed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/hang", nil)
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(req)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a call with its own deadline ended early: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want the caller's cancellation", err)
	}
}
