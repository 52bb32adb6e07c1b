package bot

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
