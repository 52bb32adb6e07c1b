package botapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// maxSizedBody bounds the request bodies sizedBodies reads ahead: every
// Bot API call but a document upload is far below it.
const maxSizedBody = 64 << 10

// sizedBodies sends a request body of unknown length (go-telegram/bot
// streams its multipart form through an io.Pipe) with a Content-Length in
// one piece, if it is at most maxSizedBody long. Streamed, the body goes out
// chunked, and net/http flushes every chunk: one write system call for each
// part header, value and boundary, about a quarter of the bot's CPU under
// load (docs/performance.md). A longer body (a document) is sent as it
// comes, after the part already read.
type sizedBodies struct {
	next http.RoundTripper
}

func (t sizedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	// http.NewRequest sets ContentLength for the readers whose length it
	// knows; 0 with a body means unknown.
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength != 0 {
		return t.next.RoundTrip(r)
	}
	body := r.Body
	buf := bytes.NewBuffer(make([]byte, 0, 2048))
	n, err := buf.ReadFrom(io.LimitReader(body, maxSizedBody+1))
	if err != nil {
		body.Close()
		return nil, err
	}
	r2 := new(http.Request)
	*r2 = *r // RoundTrip must not change r
	if n <= maxSizedBody {
		body.Close()
		data := buf.Bytes()
		r2.ContentLength = n
		r2.Body = io.NopCloser(bytes.NewReader(data))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		return t.next.RoundTrip(r2)
	}
	r2.Body = readCloser{io.MultiReader(buf, body), body} // GetBody stays nil, as for the pipe
	return t.next.RoundTrip(r2)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// deadlines bounds a call whose context has no deadline by max, as
// http.Client.Timeout would; a call with a deadline of its own (every
// update's calls have one) goes through untouched. Client.Timeout starts a
// goroutine and a timer for every request, deadline or not: a few per
// cent of the bot's CPU under load.
type deadlines struct {
	next http.RoundTripper
	max  time.Duration
}

func (t deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, ok := r.Context().Deadline(); ok {
		return t.next.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.max)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel} // the deadline covers reading it
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// Observer is told about every Bot API request, for metrics; bot.Observer
// is one. It is called concurrently and must be quick.
type Observer interface {
	// TelegramCall reports one request: the method, the HTTP status (0:
	// no response) and its duration.
	TelegramCall(method string, status int, d time.Duration)
}

type nopObserver struct{}

func (nopObserver) TelegramCall(string, int, time.Duration) {}

// observedTransport reports every Bot API request to the observer. The
// method is the last element of the URL path (/bot<token>/<method>); the
// token is never reported. File downloads are "downloadFile".
type observedTransport struct {
	next http.RoundTripper
	obs  Observer
}

func (t observedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	method := path.Base(r.URL.Path)
	if strings.Contains(r.URL.Path, "/file/bot") {
		method = "downloadFile"
	}
	t.obs.TelegramCall(method, status, time.Since(start))
	return resp, err
}
