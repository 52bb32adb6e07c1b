package e2e

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

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/devstack"
)

// BuildRegbot compiles the production binary (cmd/regbot) from the
// working tree into the test's temporary directory (the build cache makes
// repeats cheap) and returns its path.
func BuildRegbot(tb testing.TB) string {
	tb.Helper()
	return BuildBinary(tb, tb.TempDir(), "regbot")
}

// BuildBinary compiles cmd/NAME of this module into dir and returns its path.
func BuildBinary(tb testing.TB, dir, name string) string {
	tb.Helper()
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, "github.com/regbot/regbot/cmd/"+name).CombinedOutput()
	if err != nil {
		tb.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin
}

// Proc is a regbot process run by a test.
type Proc struct {
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

// ProcessEnv is the environment of a regbot process for cfg, as an
// operator would set it, followed by extra NAME=value pairs.
func ProcessEnv(cfg app.Config, extra ...string) []string {
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
		"CALLBACK_KEY=" + cfg.CallbackKey,
		"PLATFORM_RECIPIENT=" + cfg.PlatformRecipient,
		"SESSION_TTL=1h",
		"LOG_LEVEL=info",
		"HTTP_LISTEN=127.0.0.1:0", // metrics on a free port: tests run in parallel
	}
	return append(env, extra...)
}

// StartProc runs the regbot binary with env. Its output is kept and shown
// if the test fails; it is SIGKILLed when the test ends if still running.
func StartProc(t *testing.T, bin string, env []string) *Proc {
	t.Helper()
	p := &Proc{t: t, cmd: exec.Command(bin), logs: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start regbot: %v", err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("regbot pid %d output:\n%s", p.cmd.Process.Pid, p.logs.String())
		}
	})
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and waits for the process to finish its graceful
// shutdown (handlers, the outbox and the due notices drained).
func (p *Proc) Stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(WaitTime):
		p.t.Fatal("regbot did not stop on SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Errorf("regbot exited with %d on SIGTERM", code)
	}
}

// Exited reports whether the process ended by itself (a crash).
func (p *Proc) Exited() bool {
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

func NewBlockingMarketing(t *testing.T) (*blockingMarketing, string) {
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

// LoadCatalog loads the sample access catalog into the database at dsn.
func LoadCatalog(t *testing.T, dsn string) {
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

// RegistrationSteps is a full registration as a list of steps, each one
// update of the applicant and the reply it must get. A step returns the
// update's id. The nil step is the marketing-system query, which tests
// drive themselves (queryStep does it plainly).
func RegistrationSteps(w *World) []func() int64 {
	sendDoc := func(name string, data []byte, want string) func() int64 {
		return func() int64 {
			before := w.Snapshot(w.User.ID)
			id := w.TG.SendDocument(w.User, name, "application/pdf", data)
			w.Await(w.User.ID, before, want)
			return id
		}
	}
	say := func(text, want string) func() int64 { return func() int64 { return w.Say(text, want) } }
	press := func(label, want string) func() int64 { return func() int64 { return w.Press(label, want) } }
	return []func() int64{
		say("/start", "开始注册"),
		press("开始注册", "注册须知"),
		press("我已阅读注册须知并同意条款", "市场成员类型"),
		press("电力用户", "关键词"),
		say("江北精工", "找到 1 家企业"),
		press("重庆江北精工机械有限公司", "登录名"),
		press("cqjbjgjxyxgs", "用户名"),
		press("交易员", "身份证号码"),
		say(IDNumber, "已记录身份证号码"),
		say(Password, "再次输入密码"),
		say(Password, "法定代表人姓名"), // the credit code comes from the catalog: shown, not asked
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
			before := w.Snapshot(w.User.ID)
			id := w.TG.SendContact(w.User, "+8613800138000", w.User.UserID)
			w.Await(w.User.ID, before, "电子邮箱")
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

// queryStep is the nil step of registrationSteps, done plainly.
func (w *World) QueryStep() int64 { return w.Say("123456", "共有 3 个计量点") }

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
func (w *World) AssertNothingSaid(before map[int]string) {
	w.t.Helper()
	asked := map[string]bool{}
	for _, m := range w.TG.Messages(w.User.ID) {
		if _, seen := before[m.ID]; seen && !m.Deleted {
			asked[m.Text] = true
		}
	}
	w.TG.SendText(w.User, "/status")
	probe := 0
	ok := w.TG.WaitFor(WaitTime, func() bool {
		for _, m := range w.TG.Messages(w.User.ID) {
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
	for _, m := range w.TG.Messages(w.User.ID) {
		old, seen := before[m.ID]
		switch {
		case seen && old != Shown(m):
			w.t.Fatalf("message %d changed after the restart (an update applied twice?): %q", m.ID, Shown(m))
		case !seen && m.ID < probe:
			// The question asked again: one the chat saw, or the one the
			// killed process never got to send (it carries the progress
			// header). An update applied twice would answer differently.
			again++
			if again > 1 || !asked[m.Text] && !strings.HasPrefix(m.Text, "（第 ") {
				w.t.Fatalf("new message %d before the /status answer (an update applied twice?): %q", m.ID, Shown(m))
			}
		}
	}
}

// await429 waits until Telegram answered a sendMessage to chat with 429.
func (w *World) Await429(chat int64) {
	w.t.Helper()
	if _, ok := w.TG.WaitFailed("sendMessage", chat, 429, WaitTime); !ok {
		w.t.Fatalf("no 429 for chat %d", chat)
	}
}

// sent returns the messages of chat containing text that Telegram accepted.
func (w *World) Sent(chat int64, text string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range w.TG.Messages(chat) {
		if strings.Contains(m.Text, text) {
			out = append(out, m)
		}
	}
	return out
}
