package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/domain"
)

// assertOnlyNew fails unless the bot's only new or changed message in the
// group since before is the one with id.
func assertOnlyNew(t *testing.T, w *World, before map[int]string, id int) {
	t.Helper()
	for _, m := range w.TG.Messages(ReviewChat) {
		if old, seen := before[m.ID]; m.ID != id && (!seen || old != Shown(m)) {
			t.Errorf("the group was told %q", Shown(m))
		}
	}
}

// TestReasonWithoutReplyAcrossARestart: the reviewer presses 驳回 and,
// after a restart of the bot, types the reason in the group without
// replying to the prompt: it is taken, the card shows the rejection and
// the applicant is told. A stranger's message meanwhile is left alone.
func TestReasonWithoutReplyAcrossARestart(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ref := w.Submit()
	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+ref)
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 2 }) {
		t.Fatal("the PDFs did not reach the group")
	}
	before := w.Snapshot(ReviewChat)
	w.Tap(w.Group, notice.ID, ButtonOn(t, notice, "驳回").Data)
	w.Await(ReviewChat, before, "驳回申请 "+ref)

	// Chatter, and a reason too short: the group's messages are handled in
	// order, so the answer to /pending comes after theirs.
	before = w.Snapshot(ReviewChat)
	w.TG.SendText(stranger, "这家我认识，材料挺齐的")
	pending := w.GroupSays(w.Group, "/pending", "待审核申请 1 件")
	assertOnlyNew(t, w, before, pending.ID)
	w.GroupSays(w.Group, "差", "太短")

	w.Restart()

	before, beforeUser := w.Snapshot(ReviewChat), w.Snapshot(w.User.ID)
	w.TG.SendText(w.Group, "营业执照不清晰，请重新上传")
	card := w.Await(ReviewChat, before, "已驳回")
	if card.ID != notice.ID || len(card.Buttons) != 0 || !strings.Contains(card.Text, "王审核") ||
		!strings.Contains(card.Text, "营业执照不清晰，请重新上传") {
		t.Errorf("the card after the reason: %+v", card)
	}
	told := w.Await(w.User.ID, beforeUser, "营业执照不清晰")
	ButtonOn(t, told, "修改并重新提交")

	var verdict, reason string
	if err := w.Conn().QueryRow(context.Background(), `SELECT d.verdict, d.reason FROM review_decisions d
		JOIN applications a ON a.id = d.application_id WHERE a.reference = $1`, ref).Scan(&verdict, &reason); err != nil ||
		verdict != "reject" || reason != "营业执照不清晰，请重新上传" {
		t.Errorf("decision %q %q (%v)", verdict, reason, err)
	}

	// The reason was taken once: the reviewer's next message is chatter.
	before = w.Snapshot(ReviewChat)
	w.TG.SendText(w.Group, "好，下一家")
	pending = w.GroupSays(w.Group, "/pending", "没有待审核")
	assertOnlyNew(t, w, before, pending.ID)
}

// TestReasonWithoutReplyFromAnAdministrator: with REVIEW_ADMINS, an
// administrator who is not listed presses 驳回 and types the reason beside
// the prompt: it is taken, though plain messages are not looked up with
// getChatMember (the waiting rejection is what authorises it).
func TestReasonWithoutReplyFromAnAdministrator(t *testing.T) {
	w := NewWorld(t)
	w.Cfg.ReviewAdmins = true
	w.Boot()
	admin := telegramtest.Chat{ID: ReviewChat, UserID: 777, Type: "supergroup", FirstName: "管理员", Title: "审核群"}
	w.TG.SetMember(ReviewChat, admin.UserID, "administrator")
	app := SeedApplication(t, w.Main.DB, TestVault(t), 1, domain.UserDirect)

	card := w.GroupSays(admin, "/show "+app.Reference, "申请 "+app.Reference)
	before := w.Snapshot(ReviewChat)
	w.Tap(admin, card.ID, ButtonOn(t, card, "驳回").Data)
	w.Await(ReviewChat, before, "驳回申请 "+app.Reference)
	lookups := len(w.TG.Calls("getChatMember"))

	before = w.Snapshot(ReviewChat)
	w.TG.SendText(admin, "开户许可证缺失")
	if got := w.Await(ReviewChat, before, "已驳回"); !strings.Contains(got.Text, "管理员") || !strings.Contains(got.Text, "开户许可证缺失") {
		t.Errorf("the card after the administrator's reason:\n%s", got.Text)
	}
	if n := len(w.TG.Calls("getChatMember")); n != lookups {
		t.Errorf("%d getChatMember calls for a plain message", n-lookups)
	}
}
