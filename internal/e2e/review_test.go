package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/domain"
)

// TestReviewRejectResubmitApprove: a rejection with a reason, the
// applicant edits one field and resubmits, the group sees the resubmission
// with what changed, and it is approved; the audit table has both.
func TestReviewRejectResubmitApprove(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	start := time.Now()
	ref := w.Submit()

	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+ref)
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 2 }) {
		t.Fatal("the PDFs did not reach the group")
	}
	for _, m := range w.TG.Messages(ReviewChat)[1:3] {
		if m.Document == nil || m.ReplyTo != notice.ID {
			t.Errorf("document %+v does not reply to the notice %d", m, notice.ID)
		}
	}
	oldApprove := ButtonOn(t, notice, "通过")

	// 详情 shows the whole application, the ID number masked.
	before0 := w.Snapshot(ReviewChat)
	w.Tap(w.Group, notice.ID, ButtonOn(t, notice, "详情").Data)
	details := w.Await(ReviewChat, before0, "申请 "+ref+" · 待审核")
	if !strings.Contains(details.Text, "500***********0011") || strings.Contains(details.Text, IDNumber) ||
		!strings.Contains(details.Text, "3100021109024412345") || len(details.Buttons) != 0 {
		t.Errorf("details:\n%s", details.Text)
	}

	// 驳回 asks for the reason, in the thread, as a forced reply.
	before := w.Snapshot(ReviewChat)
	if toast := w.Tap(w.Group, notice.ID, ButtonOn(t, notice, "驳回").Data); toast != "" {
		t.Errorf("reject press toast %q", toast)
	}
	prompt := w.Await(ReviewChat, before, "驳回申请 "+ref)
	if !prompt.ForcesReply() || prompt.ReplyTo != notice.ID {
		t.Errorf("reason prompt %+v: want a ForceReply replying to the notice", prompt)
	}
	replyInGroup := func(who telegramtest.Chat, text, want string) telegramtest.Message {
		before := w.Snapshot(ReviewChat)
		w.TG.ReplyTo(who, prompt.ID, text)
		return w.Await(ReviewChat, before, want)
	}
	replyInGroup(stranger, "我觉得不行", "不是授权审核人员")
	replyInGroup(w.Group, "差", "太短")
	beforeUser := w.Snapshot(w.User.ID)
	edited := replyInGroup(w.Group, "营业执照不清晰，请重新上传", "已驳回")
	if edited.ID != notice.ID || len(edited.Buttons) != 0 || !strings.Contains(edited.Text, "王审核") ||
		!strings.Contains(edited.Text, "营业执照不清晰") {
		t.Errorf("notice after the rejection: %+v", edited)
	}
	told := w.Await(w.User.ID, beforeUser, "营业执照不清晰")
	ButtonOn(t, told, "修改并重新提交")

	// The applicant changes the e-mail and resubmits; meanwhile Telegram
	// rate-limits the group once.
	w.Press("修改并重新提交", "注册信息汇总")
	w.Press("修改", "要修改的内容")
	w.Press("联系信息", "电子邮箱")
	w.Press("电子邮箱", "lisi@example.com")
	w.Say("li.si@jbjg.example.cn", "注册信息汇总")
	beforeGroup := w.Snapshot(ReviewChat)
	w.SubmitPress()
	resub := w.Await(ReviewChat, beforeGroup, "重新提交的申请 "+ref)
	for _, want := range []string{"上次驳回：王审核", "营业执照不清晰", "与驳回时相比的修改：\n· 电子邮箱：lisi@example.com → li.si@jbjg.example.cn"} {
		if !strings.Contains(resub.Text, want) {
			t.Errorf("resubmission notice lacks %q:\n%s", want, resub.Text)
		}
	}
	if _, diff, _ := strings.Cut(resub.Text, "与驳回时相比的修改："); strings.Count(diff, "\n· ") != 1 {
		t.Errorf("diff lists more than the e-mail:\n%s", diff)
	}
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 4 }) {
		t.Fatal("the PDFs of the resubmission did not reach the group")
	}
	if docs := w.TG.Messages(ReviewChat); docs[len(docs)-1].ReplyTo != resub.ID {
		t.Errorf("the resubmission's documents do not reply to it")
	}

	// The first notice's approve button, pressed now, is stale: the
	// reviewer is told who decided that version.
	if toast := w.Tap(w.Group, notice.ID, oldApprove.Data); !strings.Contains(toast, "王审核") || !strings.Contains(toast, "驳回") {
		t.Errorf("stale approve toast %q", toast)
	}

	beforeUser = w.Snapshot(w.User.ID)
	before = w.Snapshot(ReviewChat)
	if toast := w.Tap(w.Group, resub.ID, ButtonOn(t, resub, "通过").Data); !strings.Contains(toast, "已通过") {
		t.Errorf("approve toast %q", toast)
	}
	w.Await(ReviewChat, before, "已通过")
	// Every card of the application shows the approval: the resubmission's
	// and the first submission's, each without buttons.
	for _, id := range []int{resub.ID, notice.ID} {
		if !w.TG.WaitFor(WaitTime, func() bool {
			m, ok := w.Message(ReviewChat, id)
			return ok && strings.Contains(m.Text, "已通过") && len(m.Buttons) == 0 && strings.Contains(m.Text, "电子邮箱")
		}) {
			m, _ := w.Message(ReviewChat, id)
			t.Errorf("card %d after the approval: %+v", id, m)
		}
	}
	congrats := w.Await(w.User.ID, beforeUser, "已审核通过")
	// The account is created next (applications provisioned); the steps of
	// the certificate come with that notice.
	for _, want := range []string{"开户", "数字证书", "须办理", "CFCA"} {
		if !strings.Contains(congrats.Text, want) {
			t.Errorf("approval message lacks %q:\n%s", want, congrats.Text)
		}
	}

	// The audit table: every decision, with reviewer, time and reason.
	rows, err := w.Conn().Query(context.Background(), `SELECT d.verdict, d.reviewer_id, d.reviewer_name, d.reason, d.decided_at, d.app_version
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
	shown := w.Show(ref)
	if !strings.Contains(shown.Text, "已通过") || !strings.Contains(shown.Text, "审核记录") ||
		strings.Count(shown.Text, "王审核") != 2 || len(shown.Buttons) != 0 {
		t.Errorf("/show of a decided application:\n%s", shown.Text)
	}
	found := w.GroupSays(w.Group, "/find@"+telegramtest.BotUsername+" CQJBJG", "匹配的申请 1 件")
	if !strings.Contains(found.Text, ref) || !strings.Contains(found.Text, "已通过") {
		t.Errorf("/find:\n%s", found.Text)
	}
	w.GroupSays(w.Group, "/find 不存在的企业", "没有找到")
	w.GroupSays(w.Group, "/pending", "没有待审核")
	w.GroupSays(w.Group, "/show", "用法")
}

// TestReviewConcurrentApprovals: two reviewers approve at once; one
// decision is stored and the other reviewer is told who decided.
func TestReviewConcurrentApprovals(t *testing.T) {
	w := NewWorld(t)
	w.Cfg.ReviewerIDs = []int64{Reviewer, secondReviewer.UserID}
	w.Boot()
	app := SeedApplication(t, w.Main.DB, TestVault(t), 1, domain.UserRetail)
	msg := w.Show(app.Reference)
	approve := ButtonOn(t, msg, "通过")

	reviewers := []telegramtest.Chat{w.Group, secondReviewer}
	toasts := make([]string, len(reviewers))
	var wg sync.WaitGroup
	for i, r := range reviewers {
		wg.Go(func() { toasts[i] = w.Tap(r, msg.ID, approve.Data) })
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
	if toast := w.Tap(reviewers[winner], msg.ID, approve.Data); !strings.Contains(toast, "已由 "+reviewers[winner].FirstName) {
		t.Errorf("double tap toast %q", toast)
	}

	var n int
	var status string
	conn := w.Conn()
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM review_decisions`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d decisions (%v), want 1", n, err)
	}
	if err := conn.QueryRow(context.Background(), `SELECT status FROM applications WHERE id = $1`, app.ID).Scan(&status); err != nil || status != "approved" {
		t.Errorf("status %q (%v)", status, err)
	}
	// The retail applicant is told; the certificate is optional for them.
	told := w.Await(app.ChatID, map[int]string{}, "已审核通过")
	if !strings.Contains(told.Text, "非强制") {
		t.Errorf("approval for a retail user:\n%s", told.Text)
	}
	// One decision edits each card once: the /show card, and the notice of
	// the submission if the dispatcher had sent it before the decision
	// (otherwise the notice, overtaken, is never sent). The decision's
	// cards notice edits them in the order they were shown: the /show card
	// last.
	if !w.TG.WaitFor(WaitTime, func() bool {
		for _, e := range w.TG.Calls("editMessageText") {
			if e.Fields["message_id"] == fmt.Sprint(msg.ID) {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the /show card was not edited")
	}
	edits := map[string]int{}
	for _, e := range w.TG.Calls("editMessageText") {
		edits[e.Fields["message_id"]]++
	}
	for id, n := range edits {
		if n != 1 {
			t.Errorf("message %s edited %d times, want once", id, n)
		}
	}
	if edits[fmt.Sprint(msg.ID)] != 1 || len(edits) > 2 {
		t.Errorf("edits by message %v: want the /show card %d, and at most the notice", edits, msg.ID)
	}
}

// TestReviewRefusals: a non-reviewer's tap, forged and tampered callback
// data, a review button outside the group and a stranger's command change
// nothing.
func TestReviewRefusals(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	v := TestVault(t)
	a1 := SeedApplication(t, w.Main.DB, v, 1, domain.UserDirect)
	a2 := SeedApplication(t, w.Main.DB, v, 2, domain.UserDirect)
	msg := w.Show(a1.Reference)
	data := ButtonOn(t, msg, "通过").Data // rv|a|<id>|<version>|<signature>
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
		{"another application's id", w.Group, fmt.Sprintf("rv|a|%d|%d|%s", a2.ID, a2.Version, sig), "按钮无效"},
		{"a reject made from an approve", w.Group, fmt.Sprintf("rv|r|%d|%d|%s", a1.ID, a1.Version, sig), "按钮无效"},
		{"tampered signature", w.Group, fmt.Sprintf("rv|a|%d|%d|%s", a1.ID, a1.Version, flipped), "按钮无效"},
		{"unsigned", w.Group, fmt.Sprintf("rv|a|%d|%d", a2.ID, a2.Version), "按钮无效"},
	} {
		if toast := w.Tap(tt.who, msg.ID, tt.data); !strings.Contains(toast, tt.want) {
			t.Errorf("%s: toast %q, want %q", tt.name, toast, tt.want)
		}
	}
	// A genuine button pressed in a private chat (a forwarded message).
	private := telegramtest.Chat{ID: Reviewer, UserID: Reviewer, FirstName: "王审核"}
	if toast := w.Tap(private, 1, data); !strings.Contains(toast, "审核群") {
		t.Errorf("review button in a private chat: toast %q", toast)
	}
	w.GroupSays(stranger, "/show "+a1.Reference, "不是授权审核人员")

	var n int
	conn := w.Conn()
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM review_decisions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d decisions (%v), want none", n, err)
	}
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM applications WHERE status = 'submitted' AND version = 1`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d applications unchanged (%v), want 2", n, err)
	}
	if m := w.TG.Messages(ReviewChat); len(w.TG.Calls("editMessageText")) != 0 || len(m) == 0 {
		t.Errorf("the group's messages were edited")
	}
}

// TestReviewAdministrators: with REVIEW_ADMINS the group's administrators
// decide too; other members still cannot.
func TestReviewAdministrators(t *testing.T) {
	w := NewWorld(t)
	w.Cfg.ReviewAdmins = true
	w.Boot()
	admin := telegramtest.Chat{ID: ReviewChat, UserID: 777, Type: "supergroup", FirstName: "管理员", Title: "审核群"}
	member := telegramtest.Chat{ID: ReviewChat, UserID: 778, Type: "supergroup", FirstName: "组员", Title: "审核群"}
	w.TG.SetMember(ReviewChat, admin.UserID, "administrator")
	app := SeedApplication(t, w.Main.DB, TestVault(t), 1, domain.UserDirect)

	msg := w.GroupSays(admin, "/show "+app.Reference, "申请 "+app.Reference)
	approve := ButtonOn(t, msg, "通过")
	if toast := w.Tap(member, msg.ID, approve.Data); !strings.Contains(toast, "不是授权审核人员") {
		t.Errorf("member's toast %q", toast)
	}
	if toast := w.Tap(admin, msg.ID, approve.Data); !strings.Contains(toast, "已通过 · 管理员") {
		t.Errorf("administrator's toast %q", toast)
	}
	var reviewer int64
	if err := w.Conn().QueryRow(context.Background(), `SELECT reviewer_id FROM review_decisions`).Scan(&reviewer); err != nil || reviewer != admin.UserID {
		t.Errorf("decision by %d (%v), want the administrator", reviewer, err)
	}
}

// TestReviewGroupRateLimited: Telegram answers 429 to the group's notice;
// the applicant is answered meanwhile, and the notice goes out after
// retry_after.
func TestReviewGroupRateLimited(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	w.TG.FailNextIn("sendMessage", ReviewChat, 1, 429, 2)
	ref := w.Submit()
	limited, ok := w.TG.WaitFailed("sendMessage", 0, 429, WaitTime)
	if !ok {
		t.Fatal("no 429")
	}
	w.Say("/status", ref) // the applicant's chat is not held up by the group
	if msgs := w.TG.Messages(ReviewChat); len(msgs) != 0 {
		t.Fatalf("the group got %d messages before retry_after passed", len(msgs))
	}
	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+ref)
	var sent telegramtest.Call
	for _, c := range w.TG.Calls("sendMessage") {
		if c.ErrorCode == 0 && strings.Contains(c.Fields["text"], "新注册申请 "+ref) {
			sent = c
		}
	}
	if gap := sent.At.Sub(limited.At); gap < 1900*time.Millisecond {
		t.Errorf("notice re-sent %v after the 429, before retry_after (2 s)", gap)
	}
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 2 }) || len(notice.Buttons) == 0 {
		t.Error("notice incomplete after the 429")
	}
}
