package marketing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// DefaultTimeout bounds one query unless WithTimeout says otherwise.
const DefaultTimeout = 5 * time.Second

// maxErrorBody bounds what the client reads from an error response.
const maxErrorBody = 64 << 10

// Client queries the marketing system over HTTP as openapi.yaml describes.
// Each request is bounded by a timeout; a request that fails for a reason
// that may pass (timeout, network error, 429, 5xx) is retried a bounded
// number of times with jittered exponential backoff, and a circuit breaker
// stops calling a system that keeps failing (resilience.go). Answers about
// the account (wrong password, unknown account) are never retried. It is
// safe for concurrent use.
type Client struct {
	url     string
	hc      *http.Client
	timeout time.Duration
	token   string
	retry   retryPolicy
	breaker *breaker
}

var _ conversation.MeteringPoints = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc instead of a default client; nil
// keeps the default. Whatever hc's redirect policy, the Client never
// follows a redirect, since the request body carries the query password.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithTimeout bounds each query, connecting and reading the response
// included (default DefaultTimeout); d <= 0 keeps the default. The caller's
// context can only shorten it.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithToken sends "Authorization: Bearer token" with every request, for a
// gateway that requires it. An empty token sends no header.
func WithToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// NewClient returns a client of the marketing system whose contract is
// served under baseURL (for example "https://gw.example/marketing" serves
// "https://gw.example/marketing/v1/metering-points/query"). It panics if
// baseURL is not an absolute http or https URL: configuration validation is
// expected to have caught that.
func NewClient(baseURL string, opts ...Option) *Client {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL itself is left out: it may carry credentials.
		panic("marketing: NewClient: base URL must be an absolute http(s) URL")
	}
	c := &Client{
		url:     u.JoinPath(queryPath).String(),
		hc:      http.DefaultClient,
		timeout: DefaultTimeout,
		retry:   defaultRetry,
		breaker: newBreaker(DefaultBreakerThreshold, DefaultBreakerCooldown, time.Now),
	}
	for _, o := range opts {
		o(c)
	}
	hc := *c.hc // a copy, so that the caller's client keeps its policy
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c
}

// Query lists the metering points of a marketing account in the marketing
// system's order; an account without metering points gives an empty slice.
// Errors are *domain.Error with code
//
//   - CodeWrongPassword (field "query_password") if the system refused the
//     query password;
//   - CodeNotFound (field "account_number") if it knows no such account;
//   - CodeUnavailable for everything else: timeouts, network errors, 429
//     and 5xx, a gateway refusing the client's token, a response that is
//     not the contract's JSON, over 1 MiB, or lists a point without id or
//     name, after the retries; ErrCircuitOpen while the breaker is open.
//     The wrapped error says what happened, for logs; if the caller's
//     context ended, errors.Is finds its error.
//
// No error text contains queryPassword.
func (c *Client) Query(ctx context.Context, account, queryPassword string) ([]domain.MeteringPoint, error) {
	return c.withRetries(ctx, func(ctx context.Context) outcome {
		return c.queryOnce(ctx, account, queryPassword)
	})
}

// outcome is the result of one request.
type outcome struct {
	points    []domain.MeteringPoint
	err       error
	transient bool          // the failure may pass: timeout, network, 429, 5xx
	wait      time.Duration // the server's Retry-After, if any
}

// queryOnce sends one request.
func (c *Client) queryOnce(ctx context.Context, account, queryPassword string) outcome {
	body, err := json.Marshal(queryRequest{Account: &account, QueryPassword: &queryPassword})
	if err != nil {
		return outcome{err: unavailable("encode request: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: unavailable("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return outcome{err: unavailable("timed out: %w", err), transient: true}
		}
		return outcome{err: unavailable("%w", err), transient: true}
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusOK {
		points, err := decodePoints(resp.Body, account)
		return outcome{points: points, err: err}
	}
	code := readErrorCode(resp.Body)
	switch {
	case resp.StatusCode == http.StatusUnauthorized && code == errWrongPassword:
		return outcome{err: &domain.Error{Code: domain.CodeWrongPassword, Field: domain.FieldQueryPassword, Reason: "marketing.wrong_password"}}
	case resp.StatusCode == http.StatusNotFound && code == errUnknownAccount:
		return outcome{err: &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldAccountNumber, Reason: "marketing.unknown_account"}}
	}
	msg := "status " + strconv.Itoa(resp.StatusCode)
	if code != "" {
		msg += " " + code
	}
	o := outcome{transient: resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		msg += ", retry after " + d.String()
		o.wait = d
	}
	o.err = unavailable("%s", msg)
	return o
}

// decodePoints reads a 200 response for account and checks it.
func decodePoints(r io.Reader, account string) ([]domain.MeteringPoint, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxResponseBody+1))
	if err != nil {
		return nil, unavailable("read response: %w", err)
	}
	if len(data) > maxResponseBody {
		return nil, unavailable("response larger than %d bytes", maxResponseBody)
	}
	var qr queryResponse
	if err := json.Unmarshal(data, &qr); err != nil {
		return nil, unavailable("decode response: %w", err)
	}
	// Points of another account must never end up in this one's units.
	if qr.Account != account {
		return nil, unavailable("response is for another account")
	}
	if qr.MeteringPoints == nil {
		return nil, unavailable("response has no metering_points")
	}
	points := make([]domain.MeteringPoint, 0, len(qr.MeteringPoints))
	seen := make(map[string]bool, len(qr.MeteringPoints))
	for i, p := range qr.MeteringPoints {
		mp := domain.MeteringPoint{
			ID:             strings.TrimSpace(p.ID),
			Name:           strings.TrimSpace(p.Name),
			Address:        strings.TrimSpace(p.Address),
			VoltageCode:    strings.TrimSpace(p.VoltageCode),
			TariffCategory: strings.TrimSpace(p.TariffCategory),
		}
		switch {
		case mp.ID == "":
			return nil, unavailable("metering point %d has no id", i)
		case mp.Name == "":
			return nil, unavailable("metering point %d has no name", i)
		case seen[mp.ID]:
			return nil, unavailable("metering point %d repeats an id", i)
		}
		seen[mp.ID] = true
		points = append(points, mp)
	}
	return points, nil
}

// readErrorCode returns the contract's error code from an error response,
// or "" if the body is not the contract's error JSON. Codes the contract
// does not define are dropped too: server text never reaches an error.
func readErrorCode(r io.Reader) string {
	data, err := io.ReadAll(io.LimitReader(r, maxErrorBody))
	if err != nil {
		return ""
	}
	var e errorResponse
	if json.Unmarshal(data, &e) != nil {
		return ""
	}
	switch e.Error {
	case errWrongPassword, errUnauthorized, errUnknownAccount, errUnavailable,
		errBadRequest, errNotFound, errMethodNotAllowed:
		return e.Error
	}
	return ""
}

// maxRetryAfter caps a Retry-After in seconds (a day).
const maxRetryAfter = 24 * 60 * 60

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		// Clamped, so that a huge value cannot overflow into a negative
		// duration (found by FuzzRetryAfter).
		return time.Duration(min(n, maxRetryAfter)) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now).Truncate(time.Second), 0), true
	}
	return 0, false
}

func unavailable(format string, args ...any) *domain.Error {
	return domain.Errorf(domain.CodeUnavailable, "", "marketing.unavailable", "marketing: "+format, args...)
}
