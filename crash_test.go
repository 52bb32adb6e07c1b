package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/devstack"
)

// buildRegbot compiles the command from the working tree into the test's
// temporary directory (the build cache makes repeats cheap).
func buildRegbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "regbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a regbot process run by a test.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is the environment of a regbot process for cfg, as an operator
// would set it.
func processEnv(cfg Config, extra ...string) []string {
	ids := make([]string, len(cfg.ReviewerIDs))
	for i, id := range cfg.ReviewerIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TELEGRAM_BOT_TOKEN=" + cfg.TelegramToken,
		"TELEGRAM_API_URL=" + cfg.TelegramAPIURL,
		"REDIS_URL=" + cfg.RedisURL,
		"DATABASE_URL=" + cfg.DatabaseURL,
		"MARKETING_URL=" + cfg.MarketingURL,
		"REVIEW_CHAT_ID=" + strconv.FormatInt(cfg.ReviewChatID, 10),
		"REVIEWER_IDS=" + strings.Join(ids, ","),
		"DATA_KEYS=" + cfg.DataKeys,
		"ID_HASH_KEY=" + cfg.IDHashKey,
		"DATA_DIR=" + cfg.DataDir,
		"SESSION_TTL=1h",
		"LOG_LEVEL=info",
		"HTTP_LISTEN=127.0.0.1:0", // metrics on a free port: tests run in parallel
	}
	return append(env, extra...)
}

// startProc runs the regbot binary with env. Its output is kept and shown
// if the test fails; it is SIGKILLed when the test ends if still running.
func startProc(t *testing.T, bin string, env []string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(bin), logs: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start regbot: %v", err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("regbot pid %d output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for the process to finish its graceful
// shutdown (handlers, the outbox and the due notices drained).
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(waitTime):
		p.t.Fatal("regbot did not stop on SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Errorf("regbot exited with %d on SIGTERM", code)
	}
}

// exited reports whether the process ended by itself (a crash).
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// blockingMarketing serves the marketing simulator, except that while
// hold is set it holds requests (until the client goes away, or until
// release is closed: then they are served) and reports each on arrived.
type blockingMarketing struct {
	sim     *marketingsim.Server
	hold    atomic.Bool
	arrived chan struct{}
	release chan struct{}
}

func newBlockingMarketing(t *testing.T) (*blockingMarketing, string) {
	m := &blockingMarketing{sim: marketingsim.New(marketingsim.DefaultAccounts()), arrived: make(chan struct{}, 16),
		release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.hold.Load() {
			m.arrived <- struct{}{}
			body, _ := io.ReadAll(r.Body) // else a closed connection goes unnoticed
			select {
			case <-r.Context().Done():
				return
			case <-m.release:
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		m.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return m, srv.URL
}

// loadCatalog loads the sample access catalog into the database at dsn.
func loadCatalog(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// registrationSteps is a full registration as a list of steps, each one
// update of the applicant and the reply it must get. A step returns the
// update's id. The nil step is the marketing-system query, which tests
// drive themselves (queryStep does it plainly).
func registrationSteps(w *world) []func() int64 {
	sendDoc := func(name string, data []byte, want string) func() int64 {
		return func() int64 {
			before := w.snapshot(w.user.ID)
			id := w.tg.SendDocument(w.user, name, "application/pdf", data)
			w.await(w.user.ID, before, want)
			return id
		}
	}
	say := func(text, want string) func() int64 { return func() int64 { return w.say(text, want) } }
	press := func(label, want string) func() int64 { return func() int64 { return w.press(label, want) } }
	return []func() int64{
		say("/start", "开始注册"),
		press("开始注册", "注册须知"),
		press("我已阅读注册须知并同意条款", "市场成员类型"),
		press("电力用户", "关键词"),
		say("江北精工", "找到 1 家企业"),
		press("重庆江北精工机械有限公司", "登录名"),
		press("cqjbjgjxyxgs", "用户名"),
		press("交易员", "身份证号码"),
		say(e2eID, "已记录身份证号码"),
		say(e2ePassword, "再次输入密码"),
		say(e2ePassword, "统一社会信用代码"),
		press("使用目录中的代码", "法定代表人姓名"),
		say("张三丰", "注册资本"),
		say("500", "成立日期"),
		say("2010-05-20", "营业期限"),
		press("长期", "所属行业"),
		say("通用设备制造业", "用户类型"),
		press("直接交易用户", "确认吗"),
		press("确认", "地理区域"),
		press("江北区", "注册地址"),
		say("重庆市江北区某某路8号", "开户银行"),
		say("中国工商银行重庆江北支行", "开户名称"),
		press("重庆江北精工机械有限公司", "银行账号"),
		say("3100021109024412345", "联系人姓名"),
		say("李四", "职务"),
		say("能源主管", "手机号"),
		func() int64 {
			before := w.snapshot(w.user.ID)
			id := w.tg.SendContact(w.user, "+8613800138000", w.user.UserID)
			w.await(w.user.ID, before, "电子邮箱")
			return id
		},
		say("lisi@example.com", "办公电话"),
		say("023-67001234", "传真"),
		press("跳过", "通信地址"),
		press("同注册地址", "邮政编码"),
		say("400020", "准入目录文件"),
		sendDoc("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照"),
		sendDoc("营业执照.pdf", conversationtest.PDF("licence"), "营销户号"),
		say("5000000001", "查询密码"),
		nil, // the marketing query: say("123456", "共有 3 个计量点"), see queryStep
		press("5000000001001", "已选 1 个"),
		press("5000000001003", "已选 2 个"),
		press("生成用电单元", "用电单元 1/2"),
		press("大工业用电", "高耗能行业类别"),
		press("非高耗能", "用电单元 2/2"),
		press("一般工商业用电", "高耗能行业类别"),
		press("非金属矿物制品业", "其他营销户号"),
		press("没有了", "注册信息汇总"),
		press("提交", "已提交"),
	}
}

// TestCrashAtEveryStep runs the regbot binary through a full registration
// and SIGKILLs it after every step (once the step's reply has arrived),
// then starts it again: no answer is lost, no update is applied twice
// (a redelivered update changes nothing and at most asks the current
// question again), and exactly one application is stored. Along the way:
//   - the bot is killed while an update is in flight (the marketing query
//     hangs): Telegram redelivers it to the new process, which answers it;
//   - Redis is restarted on its append-only file: the draft survives.
func TestCrashAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds and restarts the binary ~50 times (runs in make test)")
	}
	bin := buildRegbot(t)
	w := newWorld(t)
	ctx := context.Background()

	// Redis of its own, with the append-only file, on a fixed port so that
	// a restart keeps the URL.
	redisDir := t.TempDir()
	rs, err := devstack.StartRedis(ctx, redisDir, devstack.RedisOptions{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Stop() })
	w.cfg.RedisURL = rs.URL
	mkt, mktURL := newBlockingMarketing(t)
	w.cfg.MarketingURL = mktURL
	loadCatalog(t, w.cfg.DatabaseURL)
	env := processEnv(w.cfg, "NOTICE_LEASE=2s")

	p := startProc(t, bin, env)
	for i, step := range registrationSteps(w) {
		if step == nil {
			// Kill while the update is in flight: the engine is waiting
			// for the marketing system, nothing is saved or confirmed.
			mkt.hold.Store(true)
			before := w.snapshot(w.user.ID)
			id := w.tg.SendText(w.user, "123456")
			select {
			case <-mkt.arrived:
			case <-time.After(waitTime):
				t.Fatal("the marketing query never arrived")
			}
			p.kill()
			mkt.hold.Store(false)
			if w.tg.WaitConfirmed(id, 0) {
				t.Fatal("the update in flight was confirmed before it was handled")
			}
			p = startProc(t, bin, env)
			w.await(w.user.ID, before, "共有 3 个计量点")
			if !w.tg.WaitConfirmed(id, waitTime) {
				t.Fatal("the redelivered update was never confirmed")
			}
			continue
		}
		if i == 20 {
			// Redis goes down and comes back on its append-only file.
			p.kill()
			if err := rs.Stop(); err != nil {
				t.Fatal(err)
			}
			port, _ := strconv.Atoi(mustURL(t, rs.URL).Port())
			if rs, err = devstack.StartRedis(ctx, redisDir, devstack.RedisOptions{AppendOnly: true, Port: port}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rs.Stop() })
			p = startProc(t, bin, env)
		}
		id := step()
		if p.exited() {
			t.Fatalf("step %d: regbot exited by itself", i)
		}
		p.kill()
		before := w.snapshot(w.user.ID)
		p = startProc(t, bin, env)
		// The new process gets the last update again unless the old one
		// confirmed it; Telegram may also redeliver a confirmed one, so
		// make sure it comes again. Either way it must change nothing.
		if !w.tg.WaitConfirmed(id, waitTime) {
			t.Fatalf("step %d: update %d never confirmed after the restart", i, id)
		}
		w.tg.Redeliver(id)
		w.assertNothingSaid(before)
	}

	conn, err := pgx.Connect(ctx, w.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var apps, units, atts int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM applications`).Scan(&apps)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM attachments`).Scan(&atts)
	if apps != 1 || units != 2 || atts != 2 {
		t.Errorf("applications %d, units %d, attachments %d; want 1, 2, 2", apps, units, atts)
	}
	// The review notice was recorded once, with the submission; the kill
	// right after the submit may land before it was sent (it is sent after
	// the restart, once the killed process's lease ran out) or while it was
	// being sent (then it may come twice: delivery is at least once, see
	// TestCrashBeforeNoticesSent for the exact count).
	var recorded int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM notices`).Scan(&recorded)
	if recorded != 1 {
		t.Errorf("%d notices recorded, want 1", recorded)
	}
	w.await(e2eReviewChat, map[int]string{}, "新注册申请")
}

// queryStep is the nil step of registrationSteps, done plainly.
func (w *world) queryStep() int64 { return w.say("123456", "共有 3 个计量点") }

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// assertNothingSaid sends /status as a probe (handled after anything queued
// before it in the chat) and checks that the chat changed by nothing but
// the probe's answer since before, and perhaps one question asked again:
// a restarted process cannot know whether its predecessor answered
// the last update it applied (conversation.ErrOrphanedUpdate).
func (w *world) assertNothingSaid(before map[int]string) {
	w.t.Helper()
	asked := map[string]bool{}
	for _, m := range w.tg.Messages(w.user.ID) {
		if _, seen := before[m.ID]; seen && !m.Deleted {
			asked[m.Text] = true
		}
	}
	w.tg.SendText(w.user, "/status")
	probe := 0
	ok := w.tg.WaitFor(waitTime, func() bool {
		for _, m := range w.tg.Messages(w.user.ID) {
			if _, seen := before[m.ID]; !seen && (strings.Contains(m.Text, "注册进行中") ||
				strings.Contains(m.Text, "正在等待") || strings.Contains(m.Text, "还没有开始")) {
				probe = m.ID
				return true
			}
		}
		return false
	})
	if !ok {
		w.t.Fatal("no answer to /status")
	}
	again := 0
	for _, m := range w.tg.Messages(w.user.ID) {
		old, seen := before[m.ID]
		switch {
		case seen && old != shown(m):
			w.t.Fatalf("message %d changed after the restart (an update applied twice?): %q", m.ID, shown(m))
		case !seen && m.ID < probe:
			// The question asked again: one the chat saw, or the one the
			// killed process never got to send (it carries the progress
			// header). An update applied twice would answer differently.
			again++
			if again > 1 || !asked[m.Text] && !strings.HasPrefix(m.Text, "（第 ") {
				w.t.Fatalf("new message %d before the /status answer (an update applied twice?): %q", m.ID, shown(m))
			}
		}
	}
}

// TestCrashBetweenSaveAndReply kills the bot after it saved an update's
// effect but before its reply went out (Telegram answered the reply with
// 429 and retry_after 5, so the bot is waiting): after the restart the
// update comes again, is recognised as applied by a process that is gone
// (conversation.ErrOrphanedUpdate), and the applicant gets the question.
func TestCrashBetweenSaveAndReply(t *testing.T) {
	bin := buildRegbot(t)
	w := newWorld(t)
	loadCatalog(t, w.cfg.DatabaseURL)
	env := processEnv(w.cfg)
	p := startProc(t, bin, env)
	steps := registrationSteps(w)
	for _, step := range steps[:4] {
		step()
	}
	w.tg.FailNextIn("sendMessage", w.user.ID, 1, 429, 5)
	before := w.snapshot(w.user.ID)
	w.tg.SendText(w.user, "江北精工")
	if _, ok := w.tg.WaitFailed("sendMessage", 0, 429, waitTime); !ok {
		t.Fatal("the reply was never attempted")
	}
	p.kill()
	startProc(t, bin, env)
	w.await(w.user.ID, before, "找到 1 家企业")
}

// TestCrashBeforeNoticesSent kills the bot while it holds a notice it has
// not sent yet: Telegram answered the notice's first message with 429 and
// retry_after 2, which the bot waits out, holding the notice's lease (3 s
// here). After the restart the new process claims the notice once the
// lease ran out and sends it, exactly once: first the review group's notice
// of a submission, then the applicant's message of the decision taken on
// it. (Before notices were stored with the submission and the decision,
// both were lost with the process.)
func TestCrashBeforeNoticesSent(t *testing.T) {
	bin := buildRegbot(t)
	w := newWorld(t)
	loadCatalog(t, w.cfg.DatabaseURL)
	env := processEnv(w.cfg, "NOTICE_LEASE=3s")
	p := startProc(t, bin, env)
	steps := registrationSteps(w)
	for i, step := range steps[:len(steps)-1] {
		if i == 25 {
			// The per-chat limit (a burst of 30 updates, then one a
			// second) is per process: a restart keeps the script within it.
			p.stop()
			p = startProc(t, bin, env)
		}
		if step == nil {
			w.queryStep()
			continue
		}
		step()
	}

	// The submission: the group's notice is held up, and the bot killed.
	w.tg.FailNextIn("sendMessage", e2eReviewChat, 1, 429, 2)
	steps[len(steps)-1]() // 提交: the applicant is told at once
	w.await429(e2eReviewChat)
	p.kill()
	if n := len(w.sent(e2eReviewChat, "新注册申请")); n != 0 {
		t.Fatalf("the notice went out before the kill (%d)", n)
	}
	p = startProc(t, bin, env)
	notice := w.await(e2eReviewChat, map[int]string{}, "新注册申请")

	// The decision: the applicant's message is held up, and the bot killed.
	w.tg.FailNextIn("sendMessage", w.user.ID, 1, 429, 2)
	if toast := w.tap(w.group, notice.ID, buttonOn(t, notice, "通过").Data); !strings.Contains(toast, "已通过") {
		t.Fatalf("approval answered %q", toast)
	}
	w.await429(w.user.ID)
	p.kill()
	if n := len(w.sent(w.user.ID, "已审核通过")); n != 0 {
		t.Fatalf("the applicant was told before the kill (%d)", n)
	}
	p = startProc(t, bin, env)
	w.await(w.user.ID, map[int]string{}, "已审核通过")

	// A graceful stop waits for the notices in flight: then nothing more
	// can come, and each was sent once.
	p.stop()
	if n := len(w.sent(e2eReviewChat, "新注册申请")); n != 1 {
		t.Errorf("the review group got the notice %d times, want once", n)
	}
	if n := len(w.sent(w.user.ID, "已审核通过")); n != 1 {
		t.Errorf("the applicant got the decision %d times, want once", n)
	}
	var sent, pending int
	err := w.conn().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL),
		count(*) FILTER (WHERE sent_at IS NULL) FROM notices`).Scan(&sent, &pending)
	if err != nil || sent != 2 || pending != 0 {
		t.Errorf("notices sent %d, pending %d (%v); want 2, 0", sent, pending, err)
	}
}

// await429 waits until Telegram answered a sendMessage to chat with 429.
func (w *world) await429(chat int64) {
	w.t.Helper()
	if _, ok := w.tg.WaitFailed("sendMessage", chat, 429, waitTime); !ok {
		w.t.Fatalf("no 429 for chat %d", chat)
	}
}

// sent returns the messages of chat containing text that Telegram accepted.
func (w *world) sent(chat int64, text string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range w.tg.Messages(chat) {
		if strings.Contains(m.Text, text) {
			out = append(out, m)
		}
	}
	return out
}
