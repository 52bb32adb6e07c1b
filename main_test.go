package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/bot"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) {
	docsandbox.MaybeServe() // Main's document checker runs this binary
	devstack.Main(m)
}

const (
	e2eReviewChat = -100777
	e2eReviewer   = 42
	e2eID         = "500103197001010011"
	e2ePassword   = "Cq2024!abcd"
	waitTime      = 20 * time.Second
)

// world is one end-to-end run: a fake Telegram, real Redis and Postgres,
// and regbot's Main booted against them (possibly several times in a row).
type world struct {
	t     *testing.T
	tg    *telegramtest.Server
	cfg   Config
	user  telegramtest.Chat
	group telegramtest.Chat
	main  *Main
	stop  func()
	// botOpts are extra transport options: by default the review group's
	// rate limit and the per-chat limit are lifted, so that tests do not
	// wait 4 s per message nor get throttled for replying at machine speed.
	botOpts []bot.Option
	// logs, if set, receives every log line, debug included; otherwise
	// warnings and errors go to the test log.
	logs io.Writer
}

func newWorld(t *testing.T) *world {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	tg := telegramtest.New(t)
	w := &world{
		t:       t,
		tg:      tg,
		botOpts: []bot.Option{bot.WithReviewRate(rate.Inf, 1), bot.WithChatRate(rate.Inf, 0)},
		user:    telegramtest.Chat{ID: 5001, UserID: 5001, FirstName: "申请人", LanguageCode: "zh-hans"},
		group:   telegramtest.Chat{ID: e2eReviewChat, UserID: e2eReviewer, Type: "supergroup", FirstName: "王审核", Title: "审核群"},
		cfg: Config{
			TelegramToken:  tg.Token,
			TelegramAPIURL: tg.URL(),
			RedisURL:       devstack.MustRedis(t),
			DatabaseURL:    devstack.MustPostgres(t),
			ReviewChatID:   e2eReviewChat,
			ReviewerIDs:    []int64{e2eReviewer},
			DataKeys:       "k1:" + key,
			IDHashKey:      key,
			SessionTTL:     time.Hour,
			DataDir:        t.TempDir(),
		},
	}
	t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
		}
	})
	return w
}

// boot starts Main and waits until it is wired.
func (w *world) boot() {
	w.t.Helper()
	m := NewMain(w.cfg)
	m.Ready = make(chan struct{})
	m.BotOptions = w.botOpts
	m.Logger = slog.New(slog.NewJSONHandler(testWriter{w.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if w.logs != nil {
		m.Logger = slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready:
	case err := <-done:
		w.t.Fatalf("Main.Run: %v", err)
	}
	w.main = m
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				w.t.Errorf("Main.Run: %v", err)
			}
			if err := m.Close(); err != nil {
				w.t.Errorf("Main.Close: %v", err)
			}
		})
	}
}

// restart stops the running Main and boots a new one on the same stores.
func (w *world) restart() {
	w.t.Helper()
	w.stop()
	w.boot()
}

// snapshot remembers the texts of a chat's messages, to spot what is new.
func (w *world) snapshot(chat int64) map[int]string {
	seen := map[int]string{}
	for _, m := range w.tg.Messages(chat) {
		seen[m.ID] = shown(m)
	}
	return seen
}

// shown is what a person sees of a message: its text and its buttons.
func shown(m telegramtest.Message) string {
	s := m.Text
	for _, row := range m.Buttons {
		for _, b := range row {
			s += "\n[" + b.Text + "]"
		}
	}
	return s
}

// await waits for a new or changed bot message in chat containing want.
func (w *world) await(chat int64, before map[int]string, want string) telegramtest.Message {
	w.t.Helper()
	var got telegramtest.Message
	ok := w.tg.WaitFor(waitTime, func() bool {
		for _, m := range w.tg.Messages(chat) {
			if old, seen := before[m.ID]; (!seen || old != shown(m)) && !m.Deleted && strings.Contains(shown(m), want) {
				got = m
				return true
			}
		}
		return false
	})
	if !ok {
		var last string
		if m, ok := w.tg.LastMessage(chat); ok {
			last = m.Text
		}
		w.t.Fatalf("no message containing %q in chat %d; last: %q", want, chat, last)
	}
	return got
}

// say sends text and waits for a reply containing want.
func (w *world) say(text, want string) int64 {
	w.t.Helper()
	before := w.snapshot(w.user.ID)
	id := w.tg.SendText(w.user, text)
	w.await(w.user.ID, before, want)
	return id
}

// button finds the newest message in chat with a button containing label.
func (w *world) button(chat int64, label string) (telegramtest.Message, telegramtest.Button) {
	w.t.Helper()
	msgs := w.tg.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) && !msgs[i].Deleted {
					return msgs[i], b
				}
			}
		}
	}
	w.t.Fatalf("no button %q in chat %d", label, chat)
	return telegramtest.Message{}, telegramtest.Button{}
}

// press taps a button of the user's chat and waits for a reply containing want.
func (w *world) press(label, want string) int64 {
	w.t.Helper()
	m, b := w.button(w.user.ID, label)
	before := w.snapshot(w.user.ID)
	id := w.tg.Press(w.user, m.ID, b.Data)
	w.await(w.user.ID, before, want)
	return id
}

func (w *world) document(name string, data []byte, want string) {
	w.t.Helper()
	before := w.snapshot(w.user.ID)
	w.tg.SendDocument(w.user, name, "application/pdf", data)
	w.await(w.user.ID, before, want)
}

// TestEndToEnd plays a full registration and its approval through the fake
// Telegram API against real Redis and Postgres, with a restart in the
// middle, bad input at several steps, a double tap and a redelivery.
func TestEndToEnd(t *testing.T) {
	w := newWorld(t)
	w.boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.main.DB); err != nil {
		t.Fatal(err)
	}

	w.say("/start", "开始注册")
	w.press("开始注册", "注册须知")
	w.press("我已阅读注册须知并同意条款", "市场成员类型")
	w.press("售电公司", "只办理电力用户")
	w.press("电力用户", "关键词")
	w.say("不存在的公司名", "没有找到")
	w.say("江北精工", "找到 1 家企业")
	w.press("重庆江北精工机械有限公司", "登录名")
	w.press("cqjbjgjxyxgs", "用户名")
	w.press("交易员", "身份证号码")

	// A wrong check digit: the message is deleted and the question repeats.
	wrong := w.say("500103197001010010", "校验位不正确")
	if !w.tg.WaitFor(waitTime, func() bool { return contains(w.tg.Deleted(w.user.ID), w.tg.UserMessageID(wrong)) }) {
		t.Fatal("the message with the wrong ID number was not deleted")
	}
	idUpdate := w.say(e2eID, "已记录身份证号码：500***********0011")
	pw1 := w.say(e2ePassword, "再次输入密码")
	pw2 := w.say(e2ePassword, "统一社会信用代码")
	if !w.tg.WaitFor(waitTime, func() bool {
		d := w.tg.Deleted(w.user.ID)
		return contains(d, w.tg.UserMessageID(idUpdate)) && contains(d, w.tg.UserMessageID(pw1)) && contains(d, w.tg.UserMessageID(pw2))
	}) {
		t.Fatal("ID number and password messages were not all deleted")
	}

	// The process restarts: the applicant continues where they were.
	w.restart()
	w.press("使用目录中的代码", "法定代表人姓名")
	w.say("张三", "注册资本")
	w.say("/back", "法定代表人姓名")
	w.say("张三丰", "注册资本")
	w.say("500", "成立日期")
	w.say("2010-05-20", "营业期限")
	w.press("长期", "所属行业")
	w.say("通用设备制造业", "用户类型")
	w.press("直接交易用户", "确认吗")
	w.press("确认", "地理区域")
	w.press("下一页", "第 2/")
	w.press("上一页", "第 1/")
	w.press("江北区", "注册地址")
	w.say("重庆市江北区某某路8号", "开户银行")
	w.say("中国工商银行重庆江北支行", "开户名称")
	w.press("重庆江北精工机械有限公司", "银行账号")
	w.say("3100021109024412345", "联系人姓名")
	w.say("李四", "职务")
	w.say("能源主管", "手机号")
	before := w.snapshot(w.user.ID)
	w.tg.SendContact(w.user, "+8613800138000", 999) // somebody else's contact
	w.await(w.user.ID, before, "本人")
	before = w.snapshot(w.user.ID)
	w.tg.SendContact(w.user, "+8613800138000", w.user.UserID)
	w.await(w.user.ID, before, "电子邮箱")
	w.say("lisi@example.com", "办公电话")
	w.say("023-67001234", "传真")
	w.press("跳过", "通信地址")
	w.press("同注册地址", "邮政编码")
	w.say("400020", "准入目录文件")
	before = w.snapshot(w.user.ID)
	w.tg.SendSticker(w.user)
	w.await(w.user.ID, before, "PDF")
	w.document("catalog.docx", []byte("PK\x03\x04 a word file"), "这不是 PDF")
	w.document("准入目录.PDF", conversationtest.PDF("catalog"), "营业执照")
	w.document("营业执照.pdf", conversationtest.PDF("licence"), "营销户号")
	w.say("5000000001", "查询密码")
	w.say("000000", "查询密码不正确")
	w.say("123456", "共有 3 个计量点")
	w.press("5000000001001", "已选 1 个")
	w.press("5000000001003", "已选 2 个")
	w.press("生成用电单元", "用电单元 1/2")
	w.press("大工业用电", "高耗能行业类别")
	w.press("非高耗能", "用电单元 2/2")
	w.press("一般工商业用电", "高耗能行业类别")
	w.press("非金属矿物制品业", "其他营销户号")
	w.press("没有了", "注册信息汇总")

	// Double tap on submit, then a redelivery of the tap: one application.
	m, submit := w.button(w.user.ID, "提交")
	before = w.snapshot(w.user.ID)
	first := w.tg.Press(w.user, m.ID, submit.Data)
	w.tg.Press(w.user, m.ID, submit.Data)
	done := w.await(w.user.ID, before, "已提交")
	w.tg.Redeliver(first)
	if !w.tg.WaitConfirmed(first+1, waitTime) {
		t.Fatal("the second tap was never polled")
	}
	ref := strings.Fields(strings.TrimPrefix(done.Text[strings.Index(done.Text, "CQ-"):], ""))[0]

	// The review group got the digest and both PDFs.
	notice := w.await(e2eReviewChat, map[int]string{}, "新注册申请 "+ref)
	for _, want := range []string{"重庆江北精工机械有限公司", "91500105MA5UGC5M5E", "直接交易用户", "江北区", "5000000001003"} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("review notice lacks %q:\n%s", want, notice.Text)
		}
	}
	if !w.tg.WaitFor(waitTime, func() bool { return countDocs(w.tg.Messages(e2eReviewChat)) == 2 }) {
		t.Fatalf("review group got %d documents, want 2", countDocs(w.tg.Messages(e2eReviewChat)))
	}

	// A non-reviewer's tap changes nothing; the reviewer's approves.
	stranger := w.group
	stranger.UserID, stranger.FirstName = 31337, "路人"
	_, approve := w.button(e2eReviewChat, "通过")
	w.tg.Press(stranger, notice.ID, approve.Data)
	if !w.tg.WaitFor(waitTime, func() bool { return answered(w.tg, "不是授权审核人员") }) {
		t.Fatal("non-reviewer was not told off")
	}
	before = w.snapshot(e2eReviewChat)
	w.tg.Press(w.group, notice.ID, approve.Data)
	edited := w.await(e2eReviewChat, before, "已通过")
	if len(edited.Buttons) != 0 || !strings.Contains(edited.Text, "王审核") {
		t.Errorf("group message after approval: %+v", edited)
	}
	w.await(w.user.ID, map[int]string{}, "已审核通过")
	w.await(w.user.ID, map[int]string{}, "数字证书")

	// What Postgres holds.
	conn, err := pgx.Connect(ctx, w.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var (
		n                            int
		status, pwHash, masked, orgc string
		cipher                       []byte
		flagged                      bool
	)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM applications`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("applications = %d (%v), want 1", n, err)
	}
	err = conn.QueryRow(ctx, `SELECT status, password_hash, legal_rep_id_masked, legal_rep_id_cipher, organization_code, credit_code_flagged
		FROM applications`).Scan(&status, &pwHash, &masked, &cipher, &orgc, &flagged)
	if err != nil {
		t.Fatal(err)
	}
	if status != string(domain.StatusApproved) || !strings.HasPrefix(pwHash, "$2") || masked != "500***********0011" ||
		strings.Contains(string(cipher), e2eID) || len(cipher) < 18 || orgc != "MA5UGC5M5" || flagged {
		t.Errorf("row: status %s, hash %.4s…, masked %s, cipher %d bytes, org %s, flagged %v", status, pwHash, masked, len(cipher), orgc, flagged)
	}
	var units, atts, decisions int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE file_name LIKE '%.pdf'`).Scan(&atts)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM review_decisions WHERE reviewer_id = $1 AND verdict = 'approve'`, e2eReviewer).Scan(&decisions)
	if units != 2 || atts != 2 || decisions != 1 {
		t.Errorf("units %d, attachments %d, decisions %d; want 2, 2, 1", units, atts, decisions)
	}
}

// testWriter sends log lines to the test's log, shown only on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func countDocs(ms []telegramtest.Message) int {
	n := 0
	for _, m := range ms {
		if m.Document != nil {
			n++
		}
	}
	return n
}

// answered reports whether a callback query was answered with text.
func answered(tg *telegramtest.Server, text string) bool {
	for _, c := range tg.Calls("answerCallbackQuery") {
		if strings.Contains(c.Fields["text"], text) {
			return true
		}
	}
	return false
}
