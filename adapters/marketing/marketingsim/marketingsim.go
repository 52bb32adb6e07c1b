// Package marketingsim is a simulator of the grid company's marketing
// system: a small server that speaks ../openapi.yaml over fixture accounts,
// for the development stack, the load tool and tests. The production
// binary does not link it.
package marketingsim

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regbot/regbot/domain"
)

// DefaultAddr is where the local stack runs the simulator (the second
// server of openapi.yaml).
const DefaultAddr = "127.0.0.1:8089"

// Account is a marketing account known to the Server.
type Account struct {
	Number        string // 营销户号
	QueryPassword string // 95598 query password
	Points        []domain.MeteringPoint
}

// Server is an http.Handler that speaks openapi.yaml exactly, over a
// fixed set of accounts, for the local stack and for tests. It logs nothing.
//
// Mount it (it answers only POST /v1/metering-points/query and 404s any
// other path) or run it with ListenAndServe or Serve.
type Server struct {
	// Token, if not empty, is the bearer token every request must carry;
	// without it the answer is 401 {"error":"unauthorized"}.
	Token string
	// Latency delays every answer; a request whose context ends first gets
	// none. Set Token and Latency before serving.
	Latency time.Duration

	accounts map[string]Account

	mu         sync.Mutex
	failLeft   int
	failStatus int
	requests   int
}

// New returns a simulator that knows accounts (copied). It panics
// if two accounts share a number.
func New(accounts []Account) *Server {
	s := &Server{accounts: make(map[string]Account, len(accounts))}
	for _, a := range accounts {
		if _, dup := s.accounts[a.Number]; dup {
			panic("marketing: New: duplicate account " + a.Number)
		}
		a.Points = slices.Clone(a.Points)
		s.accounts[a.Number] = a
	}
	return s
}

// FailNext makes the next n requests fail with status, whatever they ask:
// 401 and 404 answer wrong_password and unknown_account, 400 bad_request,
// anything else unavailable (429 and 503 with "Retry-After: 1").
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failStatus = n, status
}

// Requests returns how many requests the simulator has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ServeHTTP answers one request as the contract says.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	fail := 0
	if s.failLeft > 0 {
		s.failLeft--
		fail = s.failStatus
	}
	s.mu.Unlock()

	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if r.URL.Path != queryPath {
		writeError(w, http.StatusNotFound, errNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errMethodNotAllowed)
		return
	}
	if s.Token != "" && !bearerMatches(r.Header.Get("Authorization"), s.Token) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeError(w, http.StatusUnauthorized, errUnauthorized)
		return
	}
	if fail != 0 {
		writeFailure(w, fail)
		return
	}

	var req queryRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&req); err != nil || req.Account == nil || req.QueryPassword == nil {
		writeError(w, http.StatusBadRequest, errBadRequest)
		return
	}
	acc, ok := s.accounts[*req.Account]
	if !ok {
		writeError(w, http.StatusNotFound, errUnknownAccount)
		return
	}
	if subtle.ConstantTimeCompare([]byte(*req.QueryPassword), []byte(acc.QueryPassword)) != 1 {
		writeError(w, http.StatusUnauthorized, errWrongPassword)
		return
	}
	resp := queryResponse{Account: acc.Number, MeteringPoints: make([]wirePoint, 0, len(acc.Points))}
	for _, p := range acc.Points {
		resp.MeteringPoints = append(resp.MeteringPoints, wirePoint(p))
	}
	writeJSON(w, http.StatusOK, resp)
}

// ListenAndServe serves the simulator on addr (e.g. DefaultAddr) until
// ctx ends; see Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves the simulator on ln until ctx ends, then shuts down
// gracefully (at most 5 s) and returns nil, or the error that stopped it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func bearerMatches(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

func writeFailure(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusUnauthorized:
		writeError(w, status, errWrongPassword)
	case http.StatusNotFound:
		writeError(w, status, errUnknownAccount)
	case http.StatusBadRequest:
		writeError(w, status, errBadRequest)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(1))
		writeError(w, status, errUnavailable)
	default:
		writeError(w, status, errUnavailable)
	}
}

func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, errorResponse{Error: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
