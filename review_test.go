package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// End-to-end tests of the review group: the fake Telegram API, real Redis
// and Postgres, regbot's Main.

var (
	secondReviewer = telegramtest.Chat{ID: e2eReviewChat, UserID: 43, Type: "supergroup", FirstName: "李审核", Title: "审核群"}
	stranger       = telegramtest.Chat{ID: e2eReviewChat, UserID: 31337, Type: "supergroup", FirstName: "路人", Title: "审核群"}
)

// submit plays a short registration (a direct-trading user with one unit)
// as w.user and returns the application's reference.
func (w *world) submit() string {
	w.t.Helper()
	if err := devstack.LoadSampleCatalog(context.Background(), w.main.DB); err != nil {
		w.t.Fatal(err)
	}
	w.say("/start", "开始注册")
	w.press("开始注册", "注册须知")
	w.press("我已阅读注册须知并同意条款", "市场成员类型")
	w.press("电力用户", "关键词")
	w.say("江北精工", "找到 1 家企业")
	w.press("重庆江北精工机械有限公司", "登录名")
	w.press("cqjbjgjxyxgs", "用户名")
	w.press("交易员", "身份证号码")
	w.say(e2eID, "已记录身份证号码")
	w.say(e2ePassword, "再次输入密码")
	w.say(e2ePassword, "统一社会信用代码")
	w.press("使用目录中的代码", "法定代表人姓名")
	w.say("张三丰", "注册资本")
	w.say("500", "成立日期")
	w.say("2010-05-20", "营业期限")
	w.press("长期", "所属行业")
	w.say("通用设备制造业", "用户类型")
	w.press("直接交易用户", "确认吗")
	w.press("确认", "地理区域")
	w.press("江北区", "注册地址")
	w.say("重庆市江北区某某路8号", "开户银行")
	w.say("中国工商银行重庆江北支行", "开户名称")
	w.press("重庆江北精工机械有限公司", "银行账号")
	w.say("3100021109024412345", "联系人姓名")
	w.say("李四", "职务")
	w.say("能源主管", "手机号")
	w.say("13800138000", "电子邮箱")
	w.say("lisi@example.com", "办公电话")
	w.press("跳过", "传真")
	w.press("跳过", "通信地址")
	w.press("同注册地址", "邮政编码")
	w.say("400020", "准入目录文件")
	w.document("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	w.document("营业执照.pdf", conversationtest.PDF("licence"), "营销户号")
	w.say("5000000001", "查询密码")
	w.say("123456", "共有 3 个计量点")
	w.press("5000000001001", "已选 1 个")
	w.press("生成用电单元", "用电单元 1/1")
	w.press("大工业用电", "高耗能行业类别")
	w.press("非高耗能", "其他营销户号")
	w.press("没有了", "注册信息汇总")
	done := w.submitPress()
	return reference(w.t, done.Text)
}

// submitPress presses 提交 and waits for the confirmation.
func (w *world) submitPress() telegramtest.Message {
	w.t.Helper()
	m, b := w.button(w.user.ID, "提交")
	before := w.snapshot(w.user.ID)
	w.tg.Press(w.user, m.ID, b.Data)
	return w.await(w.user.ID, before, "已提交")
}

func reference(tb testing.TB, text string) string {
	tb.Helper()
	i := strings.Index(text, "CQ-")
	if i < 0 {
		tb.Fatalf("no reference in %q", text)
	}
	return strings.Fields(text[i:])[0]
}

// buttonOn returns the button of m whose text contains label.
func buttonOn(tb testing.TB, m telegramtest.Message, label string) telegramtest.Button {
	tb.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b
			}
		}
	}
	tb.Fatalf("message %d has no button %q: %+v", m.ID, label, m.Buttons)
	return telegramtest.Button{}
}

// tap presses a button as who and returns the toast it was answered with.
func (w *world) tap(who telegramtest.Chat, msgID int, data string) string {
	w.t.Helper()
	upd := w.tg.Press(who, msgID, data)
	var text string
	if !w.tg.WaitFor(waitTime, func() bool {
		var ok bool
		text, ok = w.tg.Answer(upd)
		return ok
	}) {
		w.t.Fatalf("press of %q by %d not answered", data, who.UserID)
	}
	return text
}

// groupSays sends text to the review group as who and waits for the bot's
// message containing want.
func (w *world) groupSays(who telegramtest.Chat, text, want string) telegramtest.Message {
	w.t.Helper()
	before := w.snapshot(e2eReviewChat)
	w.tg.SendText(who, text)
	return w.await(e2eReviewChat, before, want)
}

// show asks for an application's details in the group (as the reviewer).
func (w *world) show(ref string) telegramtest.Message {
	w.t.Helper()
	return w.groupSays(w.group, "/show "+ref, "申请 "+ref)
}

func (w *world) conn() *pgx.Conn {
	w.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.cfg.DatabaseURL)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// TestReviewRejectResubmitApprove: a rejection with a reason, the
// applicant edits one field and resubmits, the group sees the resubmission
// with what changed, and it is approved; the audit table has both.
func TestReviewRejectResubmitApprove(t *testing.T) {
	w := newWorld(t)
	w.boot()
	start := time.Now()
	ref := w.submit()

	notice := w.await(e2eReviewChat, map[int]string{}, "新注册申请 "+ref)
	if !w.tg.WaitFor(waitTime, func() bool { return countDocs(w.tg.Messages(e2eReviewChat)) == 2 }) {
		t.Fatal("the PDFs did not reach the group")
	}
	for _, m := range w.tg.Messages(e2eReviewChat)[1:3] {
		if m.Document == nil || m.ReplyTo != notice.ID {
			t.Errorf("document %+v does not reply to the notice %d", m, notice.ID)
		}
	}
	oldApprove := buttonOn(t, notice, "通过")

	// 详情 shows the whole application, the ID number masked.
	before0 := w.snapshot(e2eReviewChat)
	w.tap(w.group, notice.ID, buttonOn(t, notice, "详情").Data)
	details := w.await(e2eReviewChat, before0, "申请 "+ref+" · 待审核")
	if !strings.Contains(details.Text, "500***********0011") || strings.Contains(details.Text, e2eID) ||
		!strings.Contains(details.Text, "3100021109024412345") || len(details.Buttons) != 0 {
		t.Errorf("details:\n%s", details.Text)
	}

	// 驳回 asks for the reason, in the thread, as a forced reply.
	before := w.snapshot(e2eReviewChat)
	if toast := w.tap(w.group, notice.ID, buttonOn(t, notice, "驳回").Data); toast != "" {
		t.Errorf("reject press toast %q", toast)
	}
	prompt := w.await(e2eReviewChat, before, "驳回申请 "+ref)
	if !prompt.ForcesReply() || prompt.ReplyTo != notice.ID {
		t.Errorf("reason prompt %+v: want a ForceReply replying to the notice", prompt)
	}
	replyInGroup := func(who telegramtest.Chat, text, want string) telegramtest.Message {
		before := w.snapshot(e2eReviewChat)
		w.tg.ReplyTo(who, prompt.ID, text)
		return w.await(e2eReviewChat, before, want)
	}
	replyInGroup(stranger, "我觉得不行", "不是授权审核人员")
	replyInGroup(w.group, "差", "太短")
	beforeUser := w.snapshot(w.user.ID)
	edited := replyInGroup(w.group, "营业执照不清晰，请重新上传", "已驳回")
	if edited.ID != notice.ID || len(edited.Buttons) != 0 || !strings.Contains(edited.Text, "王审核") ||
		!strings.Contains(edited.Text, "营业执照不清晰") {
		t.Errorf("notice after the rejection: %+v", edited)
	}
	told := w.await(w.user.ID, beforeUser, "营业执照不清晰")
	buttonOn(t, told, "修改并重新提交")

	// The applicant changes the e-mail and resubmits; meanwhile Telegram
	// rate-limits the group once.
	w.press("修改并重新提交", "注册信息汇总")
	w.press("修改", "要修改的内容")
	w.press("联系信息", "电子邮箱")
	w.press("电子邮箱", "lisi@example.com")
	w.say("li.si@jbjg.example.cn", "注册信息汇总")
	beforeGroup := w.snapshot(e2eReviewChat)
	w.submitPress()
	resub := w.await(e2eReviewChat, beforeGroup, "重新提交的申请 "+ref)
	for _, want := range []string{"上次驳回：王审核", "营业执照不清晰", "与驳回时相比的修改：\n· 电子邮箱：lisi@example.com → li.si@jbjg.example.cn"} {
		if !strings.Contains(resub.Text, want) {
			t.Errorf("resubmission notice lacks %q:\n%s", want, resub.Text)
		}
	}
	if _, diff, _ := strings.Cut(resub.Text, "与驳回时相比的修改："); strings.Count(diff, "\n· ") != 1 {
		t.Errorf("diff lists more than the e-mail:\n%s", diff)
	}
	if !w.tg.WaitFor(waitTime, func() bool { return countDocs(w.tg.Messages(e2eReviewChat)) == 4 }) {
		t.Fatal("the PDFs of the resubmission did not reach the group")
	}
	if docs := w.tg.Messages(e2eReviewChat); docs[len(docs)-1].ReplyTo != resub.ID {
		t.Errorf("the resubmission's documents do not reply to it")
	}

	// The first notice's approve button, pressed now, is stale: the
	// reviewer is told who decided that version.
	if toast := w.tap(w.group, notice.ID, oldApprove.Data); !strings.Contains(toast, "王审核") || !strings.Contains(toast, "驳回") {
		t.Errorf("stale approve toast %q", toast)
	}

	beforeUser = w.snapshot(w.user.ID)
	before = w.snapshot(e2eReviewChat)
	if toast := w.tap(w.group, resub.ID, buttonOn(t, resub, "通过").Data); !strings.Contains(toast, "已通过") {
		t.Errorf("approve toast %q", toast)
	}
	approved := w.await(e2eReviewChat, before, "已通过")
	if approved.ID != resub.ID || len(approved.Buttons) != 0 || !strings.Contains(approved.Text, "电子邮箱") {
		t.Errorf("resubmission after approval: %+v", approved)
	}
	congrats := w.await(w.user.ID, beforeUser, "已审核通过")
	for _, want := range []string{"数字证书", "必须", "证书申请", "CFCA", "Ukey", "cqjbjgjxyxgs", "pmos.cq.sgcc.com.cn"} {
		if !strings.Contains(congrats.Text, want) {
			t.Errorf("approval message lacks %q:\n%s", want, congrats.Text)
		}
	}

	// The audit table: every decision, with reviewer, time and reason.
	rows, err := w.conn().Query(context.Background(), `SELECT d.verdict, d.reviewer_id, d.reviewer_name, d.reason, d.decided_at, d.app_version
		FROM review_decisions d JOIN applications a ON a.id = d.application_id WHERE a.reference = $1 ORDER BY d.id`, ref)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for rows.Next() {
		var verdict, name, reason string
		var reviewer int64
		var at time.Time
		var version int
		if err := rows.Scan(&verdict, &reviewer, &name, &reason, &at, &version); err != nil {
			t.Fatal(err)
		}
		if at.Before(start.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("decided_at %v outside the test", at)
		}
		trail = append(trail, fmt.Sprintf("%s v%d %d %s %s", verdict, version, reviewer, name, reason))
	}
	want := []string{"reject v1 42 王审核 营业执照不清晰，请重新上传", "approve v3 42 王审核 "}
	if strings.Join(trail, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
	}

	// Group commands.
	shown := w.show(ref)
	if !strings.Contains(shown.Text, "已通过") || !strings.Contains(shown.Text, "审核记录") ||
		strings.Count(shown.Text, "王审核") != 2 || len(shown.Buttons) != 0 {
		t.Errorf("/show of a decided application:\n%s", shown.Text)
	}
	found := w.groupSays(w.group, "/find@"+telegramtest.BotUsername+" CQJBJG", "匹配的申请 1 件")
	if !strings.Contains(found.Text, ref) || !strings.Contains(found.Text, "已通过") {
		t.Errorf("/find:\n%s", found.Text)
	}
	w.groupSays(w.group, "/find 不存在的企业", "没有找到")
	w.groupSays(w.group, "/pending", "没有待审核")
	w.groupSays(w.group, "/show", "用法")
}

// TestReviewConcurrentApprovals: two reviewers approve at once; one
// decision is stored and the other reviewer is told who decided.
func TestReviewConcurrentApprovals(t *testing.T) {
	w := newWorld(t)
	w.cfg.ReviewerIDs = []int64{e2eReviewer, secondReviewer.UserID}
	w.boot()
	app := seedApplication(t, w.main.DB, testVault(t), 1, domain.UserRetail)
	msg := w.show(app.Reference)
	approve := buttonOn(t, msg, "通过")

	reviewers := []telegramtest.Chat{w.group, secondReviewer}
	toasts := make([]string, len(reviewers))
	var wg sync.WaitGroup
	for i, r := range reviewers {
		wg.Go(func() { toasts[i] = w.tap(r, msg.ID, approve.Data) })
	}
	wg.Wait()
	winner, loser := -1, -1
	for i, toast := range toasts {
		switch {
		case strings.Contains(toast, "已通过 · "+reviewers[i].FirstName):
			winner = i
		case strings.Contains(toast, "已由 "):
			loser = i
		}
	}
	if winner < 0 || loser < 0 || !strings.Contains(toasts[loser], reviewers[winner].FirstName) {
		t.Fatalf("toasts %q: want one approval and one naming its reviewer", toasts)
	}
	// A double tap by the winner changes nothing either.
	if toast := w.tap(reviewers[winner], msg.ID, approve.Data); !strings.Contains(toast, "已由 "+reviewers[winner].FirstName) {
		t.Errorf("double tap toast %q", toast)
	}

	var n int
	var status string
	conn := w.conn()
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM review_decisions`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d decisions (%v), want 1", n, err)
	}
	if err := conn.QueryRow(context.Background(), `SELECT status FROM applications WHERE id = $1`, app.ID).Scan(&status); err != nil || status != "approved" {
		t.Errorf("status %q (%v)", status, err)
	}
	// The retail applicant is told; the certificate is optional for them.
	told := w.await(app.ChatID, map[int]string{}, "已审核通过")
	if !strings.Contains(told.Text, "零售用户可选") {
		t.Errorf("approval for a retail user:\n%s", told.Text)
	}
	if edits := w.tg.Calls("editMessageText"); len(edits) != 1 {
		t.Errorf("%d edits of the group message, want 1", len(edits))
	}
}

// TestReviewRefusals: a non-reviewer's tap, forged and tampered callback
// data, a review button outside the group and a stranger's command change
// nothing.
func TestReviewRefusals(t *testing.T) {
	w := newWorld(t)
	w.boot()
	v := testVault(t)
	a1 := seedApplication(t, w.main.DB, v, 1, domain.UserDirect)
	a2 := seedApplication(t, w.main.DB, v, 2, domain.UserDirect)
	msg := w.show(a1.Reference)
	data := buttonOn(t, msg, "通过").Data // rv|a|<id>|<version>|<signature>
	sig := data[strings.LastIndexByte(data, '|')+1:]
	flipped := []byte(sig)
	flipped[len(flipped)-1] ^= 1

	for _, tt := range []struct {
		name string
		who  telegramtest.Chat
		data string
		want string
	}{
		{"non-reviewer", stranger, data, "不是授权审核人员"},
		{"another application's id", w.group, fmt.Sprintf("rv|a|%d|%d|%s", a2.ID, a2.Version, sig), "按钮无效"},
		{"a reject made from an approve", w.group, fmt.Sprintf("rv|r|%d|%d|%s", a1.ID, a1.Version, sig), "按钮无效"},
		{"tampered signature", w.group, fmt.Sprintf("rv|a|%d|%d|%s", a1.ID, a1.Version, flipped), "按钮无效"},
		{"unsigned", w.group, fmt.Sprintf("rv|a|%d|%d", a2.ID, a2.Version), "按钮无效"},
	} {
		if toast := w.tap(tt.who, msg.ID, tt.data); !strings.Contains(toast, tt.want) {
			t.Errorf("%s: toast %q, want %q", tt.name, toast, tt.want)
		}
	}
	// A genuine button pressed in a private chat (a forwarded message).
	private := telegramtest.Chat{ID: e2eReviewer, UserID: e2eReviewer, FirstName: "王审核"}
	if toast := w.tap(private, 1, data); !strings.Contains(toast, "审核群") {
		t.Errorf("review button in a private chat: toast %q", toast)
	}
	w.groupSays(stranger, "/show "+a1.Reference, "不是授权审核人员")

	var n int
	conn := w.conn()
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM review_decisions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d decisions (%v), want none", n, err)
	}
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications WHERE status = 'submitted' AND version = 1`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d applications unchanged (%v), want 2", n, err)
	}
	if m := w.tg.Messages(e2eReviewChat); len(w.tg.Calls("editMessageText")) != 0 || len(m) == 0 {
		t.Errorf("the group's messages were edited")
	}
}

// TestReviewAdministrators: with REVIEW_ADMINS the group's administrators
// decide too; other members still cannot.
func TestReviewAdministrators(t *testing.T) {
	w := newWorld(t)
	w.cfg.ReviewAdmins = true
	w.boot()
	admin := telegramtest.Chat{ID: e2eReviewChat, UserID: 777, Type: "supergroup", FirstName: "管理员", Title: "审核群"}
	member := telegramtest.Chat{ID: e2eReviewChat, UserID: 778, Type: "supergroup", FirstName: "组员", Title: "审核群"}
	w.tg.SetMember(e2eReviewChat, admin.UserID, "administrator")
	app := seedApplication(t, w.main.DB, testVault(t), 1, domain.UserDirect)

	msg := w.groupSays(admin, "/show "+app.Reference, "申请 "+app.Reference)
	approve := buttonOn(t, msg, "通过")
	if toast := w.tap(member, msg.ID, approve.Data); !strings.Contains(toast, "不是授权审核人员") {
		t.Errorf("member's toast %q", toast)
	}
	if toast := w.tap(admin, msg.ID, approve.Data); !strings.Contains(toast, "已通过 · 管理员") {
		t.Errorf("administrator's toast %q", toast)
	}
	var reviewer int64
	if err := w.conn().QueryRow(context.Background(), `SELECT reviewer_id FROM review_decisions`).Scan(&reviewer); err != nil || reviewer != admin.UserID {
		t.Errorf("decision by %d (%v), want the administrator", reviewer, err)
	}
}

// TestReviewGroupRateLimited: Telegram answers 429 to the group's notice;
// the applicant is answered meanwhile, and the notice goes out after
// retry_after.
func TestReviewGroupRateLimited(t *testing.T) {
	w := newWorld(t)
	w.boot()
	w.tg.FailNextIn("sendMessage", e2eReviewChat, 1, 429, 2)
	ref := w.submit()
	limited, ok := w.tg.WaitFailed("sendMessage", 0, 429, waitTime)
	if !ok {
		t.Fatal("no 429")
	}
	w.say("/status", ref) // the applicant's chat is not held up by the group
	if msgs := w.tg.Messages(e2eReviewChat); len(msgs) != 0 {
		t.Fatalf("the group got %d messages before retry_after passed", len(msgs))
	}
	notice := w.await(e2eReviewChat, map[int]string{}, "新注册申请 "+ref)
	var sent telegramtest.Call
	for _, c := range w.tg.Calls("sendMessage") {
		if c.ErrorCode == 0 && strings.Contains(c.Fields["text"], "新注册申请 "+ref) {
			sent = c
		}
	}
	if gap := sent.At.Sub(limited.At); gap < 1900*time.Millisecond {
		t.Errorf("notice re-sent %v after the 429, before retry_after (2 s)", gap)
	}
	if !w.tg.WaitFor(waitTime, func() bool { return countDocs(w.tg.Messages(e2eReviewChat)) == 2 }) || len(notice.Buttons) == 0 {
		t.Error("notice incomplete after the 429")
	}
}
