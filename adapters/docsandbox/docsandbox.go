// Package docsandbox checks uploaded documents in a child process.
//
// An applicant's PDF is parsed by pdfcpu (domain.NewPDFAttachment), and
// pdfcpu decodes some streams (cross-reference streams, metadata) with a
// built-in limit of 512 MiB each that no configuration lowers: a 1 MB file
// whose cross-reference stream inflates to 1 GiB makes the parser allocate
// over 2 GiB. In the bot's own process that is an out-of-memory kill of
// every chat's work, and, since the update is delivered again after a
// crash, a crash loop. So the checks run in a worker process (this same
// binary, started with REGBOT_ROLE=document-checker in its environment)
// that exits when its memory passes a limit and is killed when a check
// takes too long; the file is then refused (as too large, an image past the
// memory limit; as broken otherwise) and the next check
// starts a new worker. One check runs at a time, which also bounds the CPU
// that document parsing can take from the chats.
//
// Call MaybeServe first thing in main, and in TestMain of any package whose
// tests start a Checker (os.Executable is then the test binary).
package docsandbox

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regbot/regbot/domain"
)

const (
	roleEnv   = "REGBOT_ROLE"
	roleValue = "document-checker"
	limitEnv  = "REGBOT_CHECKER_MEMORY" // bytes
	cpuEnv    = "REGBOT_CHECKER_CPU"    // a duration: the CPU budget of one check

	// DefaultMemoryLimit is the worker's limit on the memory its runtime
	// maps: a 10 MiB upload parses in well under 64 MiB.
	DefaultMemoryLimit = 160 << 20
	// DefaultTimeout bounds one check; a 10 MiB scan takes well under a
	// second.
	DefaultTimeout = 15 * time.Second

	// exitOverLimit is the worker's exit status when the watchdog stops it.
	exitOverLimit = 3
)

// MaybeServe serves checks on stdin and stdout and exits, if this process
// was started as a Checker's worker; otherwise it returns at once.
func MaybeServe() {
	if os.Getenv(roleEnv) != roleValue {
		return
	}
	limit, err := strconv.ParseInt(os.Getenv(limitEnv), 10, 64)
	if err != nil || limit <= 0 {
		limit = DefaultMemoryLimit
	}
	cpu, err := time.ParseDuration(os.Getenv(cpuEnv))
	if err != nil || cpu <= 0 {
		cpu = 2 * DefaultTimeout
	}
	if err := confine(limit); err != nil {
		fmt.Fprintln(os.Stderr, "docsandbox: worker: confine:", err)
		os.Exit(2)
	}
	os.Exit(serve(os.Stdin, os.Stdout, limit, cpu))
}

const (
	opPDF byte = iota + 1
	opImages
)

type request struct {
	Op     byte
	Kind   domain.AttachmentKind
	Data   []byte   // opPDF
	Images [][]byte // opImages
}

type response struct {
	Att domain.Attachment
	PDF []byte
	Err *wireError
}

// size is the bytes of the files of req.
func (req *request) size() int {
	n := len(req.Data)
	for _, img := range req.Images {
		n += len(img)
	}
	return n
}

// wireError carries a *domain.Error (or any error, as its text) across.
type wireError struct {
	Code         domain.Code
	Field        domain.Field
	Reason, Text string
	Args         map[string]string
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	if w.Code == "" {
		return errors.New(w.Text)
	}
	e := domain.Errorf(w.Code, w.Field, w.Reason, "%s", w.Text)
	e.Args = w.Args
	return e
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		w := &wireError{Code: de.Code, Field: de.Field, Reason: de.Reason, Args: de.Args}
		if de.Err != nil {
			w.Text = de.Err.Error()
		}
		return w
	}
	return &wireError{Text: err.Error()}
}

// serve is the worker: one request at a time until stdin closes, each
// within cpu of CPU time.
func serve(r io.Reader, w io.Writer, limit int64, cpu time.Duration) int {
	// The GC works hard well before the watchdog's limit.
	debug.SetMemoryLimit(limit / 2)
	dec := gob.NewDecoder(bufio.NewReader(r))
	bw := bufio.NewWriter(w)
	enc := gob.NewEncoder(bw)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintln(os.Stderr, "docsandbox: worker: read request:", err)
			return 2
		}
		if err := budgetCPU(cpu); err != nil {
			fmt.Fprintln(os.Stderr, "docsandbox: worker: CPU budget:", err)
			return 2
		}
		stop := watch(limit)
		resp := handle(req)
		stop()
		if err := enc.Encode(resp); err != nil {
			return 2
		}
		if err := bw.Flush(); err != nil {
			return 2
		}
	}
}

// testOps are operations only a test binary registers (in its TestMain,
// before MaybeServe), to make the worker do what no document does.
var testOps map[byte]func(request) response

func handle(req request) response {
	if op, ok := testOps[req.Op]; ok {
		return op(req)
	}
	switch req.Op {
	case opPDF:
		att, err := domain.NewPDFAttachment(req.Kind, req.Data)
		return response{Att: att, Err: toWire(err)}
	case opImages:
		pdf, err := domain.ImagesToPDF(req.Images)
		return response{PDF: pdf, Err: toWire(err)}
	}
	return response{Err: &wireError{Text: fmt.Sprintf("unknown operation %d", req.Op)}}
}

// watch exits the process as soon as the memory its runtime has mapped
// passes limit, until stop is called. One large allocation (a decoded
// stream's buffer) is mapped at once and counted at once, so it is caught
// within a tick, before most of it is touched.
func watch(limit int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(s)
				if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > uint64(limit) {
					os.Exit(exitOverLimit)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// Options configure a Checker; the zero value is usable.
type Options struct {
	// Path is the worker's executable (default: os.Executable, this
	// binary, which must call MaybeServe).
	Path string
	// MemoryLimit is the worker's memory limit in bytes (default
	// DefaultMemoryLimit).
	MemoryLimit int64
	// Timeout bounds one check (default DefaultTimeout).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Checker runs domain's document checks in a worker process. It is safe
// for concurrent use; checks run one at a time.
type Checker struct {
	opts Options
	slot chan struct{} // a token while a check runs
	w    *worker       // the running worker, or nil; guarded by slot
}

type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	bw    *bufio.Writer
	enc   *gob.Encoder
	dec   *gob.Decoder
}

// New returns a Checker. The worker is started at the first check.
func New(opts Options) *Checker {
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Checker{opts: opts, slot: make(chan struct{}, 1)}
}

// NewPDFAttachment is domain.NewPDFAttachment, run in the worker. A file
// that makes the worker exceed its memory or time is refused as
// "pdf.broken".
func (c *Checker) NewPDFAttachment(ctx context.Context, kind domain.AttachmentKind, data []byte) (domain.Attachment, error) {
	resp, err := c.do(ctx, request{Op: opPDF, Kind: kind, Data: data}, refusal{"pdf.broken", "pdf.broken"})
	if err != nil {
		return domain.Attachment{}, err
	}
	return resp.Att, resp.Err.err()
}

// ImagesToPDF is domain.ImagesToPDF, run in the worker, one image after
// another. Images that make it exceed its memory are refused as
// "image.too_large" (a PNG is decoded whole: a 20-megapixel one needs more
// than the default limit, and so does a photo of 40 megapixels to be
// turned upright), ones that make it exceed its time or crash as
// "image.broken". Images too many or too large together are refused
// here, before they are sent (domain.CheckImages).
func (c *Checker) ImagesToPDF(ctx context.Context, images [][]byte) ([]byte, error) {
	if err := domain.CheckImages(images); err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{Op: opImages, Images: images}, refusal{"image.broken", "image.too_large"})
	if err != nil {
		return nil, err
	}
	return resp.PDF, resp.Err.err()
}

// Close stops the worker, if one runs.
func (c *Checker) Close() error {
	c.slot <- struct{}{}
	defer func() { <-c.slot }()
	if c.w != nil {
		_ = c.w.stdin.Close() // the worker exits at EOF
		err := c.w.cmd.Wait()
		c.w = nil
		return err
	}
	return nil
}

// refusal names the domain reasons of a file that stopped the worker: by
// going past its memory limit (tooLarge), or otherwise (broken).
type refusal struct{ broken, tooLarge string }

// do runs one request. A worker that dies or is killed during it refuses
// the file (for a reason of refuse); one that cannot start, or a ctx that
// ends first, is a CodeUnavailable error: nothing is wrong with the file.
func (c *Checker) do(ctx context.Context, req request, refuse refusal) (response, error) {
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return response{}, unavailable(fmt.Errorf("waiting for the document checker: %w", ctx.Err()))
	}
	defer func() { <-c.slot }()
	start := time.Now()
	for retried := false; ; retried = true {
		if c.w == nil {
			w, err := c.start()
			if err != nil {
				return response{}, unavailable(err)
			}
			c.w = w
		}
		resp, sent, overLimit, why := c.exchange(ctx, req)
		switch {
		case why == "":
			return resp, nil
		case ctx.Err() != nil:
			return response{}, unavailable(fmt.Errorf("document check: %w", ctx.Err()))
		case !sent && !retried:
			// The worker had died before this file reached it (its pipe
			// was closed): the file is not to blame; try a new worker.
			continue
		}
		// No personal data: the size only.
		c.opts.Logger.Warn("docsandbox: document refused by the checker", "why", why, "size", req.size(),
			"duration", time.Since(start).Round(time.Millisecond))
		reason := refuse.broken
		if overLimit {
			reason = refuse.tooLarge
		}
		return response{Err: &wireError{Code: domain.CodeInvalid, Field: domain.FieldAttachment, Reason: reason, Text: "document checker: " + why}}, nil
	}
}

// exchange sends req to the running worker and reads its answer, within
// the timeout and ctx. why is "" on success; otherwise the worker has been
// stopped and reaped, sent tells whether the request had reached it,
// overLimit whether the worker stopped itself at its memory limit, and why
// says what happened.
func (c *Checker) exchange(ctx context.Context, req request) (resp response, sent, overLimit bool, why string) {
	w := c.w
	var timedOut atomic.Bool
	timer := time.AfterFunc(c.opts.Timeout, func() { timedOut.Store(true); _ = w.cmd.Process.Kill() })
	stopCtx := context.AfterFunc(ctx, func() { _ = w.cmd.Process.Kill() })
	err := w.enc.Encode(req)
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		sent = true
		err = w.dec.Decode(&resp)
	}
	// Either function having run means the worker was (or is being)
	// killed, even if its answer got through first.
	killed := !timer.Stop()
	killed = !stopCtx() || killed
	if err == nil && !killed {
		return resp, true, false, ""
	}
	_ = w.stdin.Close()
	_ = w.cmd.Process.Kill()
	werr := w.cmd.Wait()
	c.w = nil
	if err == nil {
		return resp, true, false, "" // answered just before the kill
	}
	why = fmt.Sprintf("worker ended: %v", werr)
	if timedOut.Load() {
		why = fmt.Sprintf("took longer than %v", c.opts.Timeout)
	} else if ee, ok := werr.(*exec.ExitError); ok && ee.ExitCode() == exitOverLimit {
		overLimit = true
		why = fmt.Sprintf("needed more than %d MiB", c.opts.MemoryLimit>>20)
	} else if ok && ee.ExitCode() == exitOverCPU {
		why = fmt.Sprintf("used more than %v of CPU", 2*c.opts.Timeout)
	}
	return response{}, sent, overLimit, why
}

func (c *Checker) start() (*worker, error) {
	path := c.opts.Path
	if path == "" {
		var err error
		if path, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("docsandbox: find this executable: %w", err)
		}
	}
	cmd := exec.Command(path)
	// Only what the worker needs: none of the bot's secrets.
	cmd.Env = []string{roleEnv + "=" + roleValue, limitEnv + "=" + strconv.FormatInt(c.opts.MemoryLimit, 10),
		cpuEnv + "=" + (2 * c.opts.Timeout).String(), "GOMAXPROCS=1"}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = workerAttr()
	closeOnExec()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("docsandbox: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("docsandbox: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("docsandbox: start the worker: %w", err)
	}
	bw := bufio.NewWriter(stdin)
	return &worker{cmd: cmd, stdin: stdin, bw: bw, enc: gob.NewEncoder(bw), dec: gob.NewDecoder(bufio.NewReader(stdout))}, nil
}

func unavailable(err error) error {
	return &domain.Error{Code: domain.CodeUnavailable, Err: err}
}
