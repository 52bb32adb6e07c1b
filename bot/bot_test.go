package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/review"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

func TestDecodePrivateInputs(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng)

	pdf := []byte("%PDF-1.4\n1 0 obj\n%%EOF\n")
	base := conversation.Input{ChatID: alice.ID, UserID: alice.UserID, LangHint: "zh-hans"}
	with := func(f func(*conversation.Input)) conversation.Input {
		in := base
		f(&in)
		return in
	}
	tests := []struct {
		name string
		send func() int64
		want conversation.Input
	}{
		{"text", func() int64 { return s.SendText(alice, "重庆某某公司") },
			with(func(in *conversation.Input) { in.Kind, in.Text = conversation.InputText, "重庆某某公司" })},
		{"command with bot name and args", func() int64 { return s.SendText(alice, "/Start@"+telegramtest.BotUsername+"  a b ") },
			with(func(in *conversation.Input) { in.Kind, in.Command, in.Text = conversation.InputCommand, "start", "a b" })},
		{"bare command", func() int64 { return s.SendText(alice, "/help") },
			with(func(in *conversation.Input) { in.Kind, in.Command = conversation.InputCommand, "help" })},
		// In a private chat a command for another bot can only be meant for us.
		{"command for another name", func() int64 { return s.SendText(alice, "/lang@SomeBot") },
			with(func(in *conversation.Input) { in.Kind, in.Command = conversation.InputCommand, "lang" })},
		// A password may start with a slash: not a command, so the engine
		// can treat (and delete) it as the secret it is.
		{"slash password", func() int64 { return s.SendText(alice, "/Pa55w0rd!#") },
			with(func(in *conversation.Input) { in.Kind, in.Text = conversation.InputText, "/Pa55w0rd!#" })},
		{"document", func() int64 { return s.SendDocument(alice, "营业执照.PDF", "application/pdf", pdf) },
			with(func(in *conversation.Input) {
				in.Kind = conversation.InputDocument
				in.Document = &conversation.Document{FileName: "营业执照.PDF", MIMEType: "application/pdf", Size: int64(len(pdf)), Data: pdf}
			})},
		// A photo's largest size is fetched, so the engine can make it a PDF.
		{"photo", func() int64 { return s.SendPhoto(alice) },
			with(func(in *conversation.Input) {
				largest := append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 1280)...)
				in.Kind = conversation.InputPhoto
				in.Document = &conversation.Document{FileName: "photo.jpg", MIMEType: "image/jpeg", Size: int64(len(largest)), Data: largest}
			})},
		{"sticker", func() int64 { return s.SendSticker(alice) },
			with(func(in *conversation.Input) { in.Kind = conversation.InputOther })},
		{"contact", func() int64 { return s.SendContact(alice, "+86 138 0013 8000", alice.UserID) },
			with(func(in *conversation.Input) {
				in.Kind, in.Contact = conversation.InputContact, &conversation.Contact{Phone: "+86 138 0013 8000", UserID: alice.UserID}
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.send()
			tt.want.UpdateID, tt.want.MessageID = id, s.UserMessageID(id)
			got := recv(t, eng.inputs)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(conversation.Document{}, "FileID")); diff != "" {
				t.Errorf("input (-want +got):\n%s", diff)
			}
			if got.Document != nil && got.Document.FileID == "" {
				t.Error("document without FileID")
			}
		})
	}
}

func TestOversizedDocumentNotDownloaded(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng)

	s.SendDocument(alice, "big.pdf", "application/pdf", make([]byte, domain.MaxAttachmentSize+1))
	got := recv(t, eng.inputs)
	if got.Kind != conversation.InputDocument || got.Document == nil ||
		got.Document.Size != domain.MaxAttachmentSize+1 || got.Document.Data != nil {
		t.Fatalf("input = %+v, document %+v", got, got.Document)
	}
	if n := len(s.Calls("getFile")) + len(s.Calls("downloadFile")); n != 0 {
		t.Errorf("%d getFile/download calls for an oversized file", n)
	}
}

// A file announced within the limit that getFile finds larger is not
// downloaded, and reaches the engine with its real size (the applicant is
// told it is too large, not that the download failed); one whose download
// runs past the limit likewise.
func TestDocumentLargerThanAnnounced(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng)

	big := make([]byte, domain.MaxAttachmentSize+5)
	s.SendDocumentAnnouncing(alice, "small.pdf", "application/pdf", big, 2048)
	got := recv(t, eng.inputs)
	if got.Document == nil || got.Document.Size != int64(len(big)) || got.Document.Data != nil {
		t.Fatalf("document %+v, want Size %d and no data", got.Document, len(big))
	}
	if n := len(s.Calls("downloadFile")); n != 0 {
		t.Errorf("%d downloads of a file getFile says is too large", n)
	}
	if err := domain.CheckPDFSize(got.Document.Size); domain.ErrorReason(err) != "pdf.too_large" {
		t.Errorf("the engine's size check passes: %v", err)
	}
}

// The items of an album reach the engine as separate inputs carrying the
// album's media group id, in whatever order Telegram sends them, each with
// its own message id (the album's order).
func TestAlbumItemsCarryTheirGroup(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng)

	jpg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}
	ids := s.SendAlbum(alice, []telegramtest.AlbumItem{{Data: jpg}, {Name: "p2.pdf", MIMEType: "application/pdf", Data: []byte("%PDF-1.4")}, {Data: jpg}}, []int{2, 0, 1})
	byUpdate := map[int64]conversation.Input{}
	for range ids {
		in := recv(t, eng.inputs)
		byUpdate[in.UpdateID] = in
	}
	group := byUpdate[ids[0]].MediaGroupID
	if group == "" {
		t.Fatal("no media group id")
	}
	for i, id := range ids {
		in := byUpdate[id]
		wantKind := conversation.InputPhoto
		if i == 1 {
			wantKind = conversation.InputDocument
		}
		if in.MediaGroupID != group || in.Kind != wantKind || in.Document == nil || in.Document.Data == nil ||
			in.MessageID != byUpdate[ids[0]].MessageID+i {
			t.Errorf("item %d: %+v", i, in)
		}
	}
}

func TestCallbackDecodedAndAnswered(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		switch in.Kind {
		case conversation.InputText:
			return []conversation.Reply{{Text: "Pick", Buttons: [][]conversation.Button{{{Text: "A", Data: "a"}}}}}, nil
		case conversation.InputButton:
			return []conversation.Reply{{Toast: "Saved"}, {Toast: "ignored: only the first toast counts"}}, nil
		}
		return nil, nil
	}
	startBot(t, s, eng)

	s.SendText(bob, "menu")
	recv(t, eng.inputs)
	if !s.WaitFor(wait, func() bool { return len(s.Messages(bob.ID)) == 1 }) {
		t.Fatal("no menu")
	}
	menu, _ := s.LastMessage(bob.ID)
	id := s.Press(bob, menu.ID, "a")
	want := conversation.Input{UpdateID: id, ChatID: bob.ID, UserID: bob.UserID, MessageID: menu.ID,
		Kind: conversation.InputButton, Data: "a", LangHint: "en"}
	if diff := cmp.Diff(want, recv(t, eng.inputs)); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	// A button on a message the bot can no longer access still names it.
	id = s.Press(bob, 999, "old")
	want = conversation.Input{UpdateID: id, ChatID: bob.ID, UserID: bob.UserID, MessageID: 999,
		Kind: conversation.InputButton, Data: "old", LangHint: "en"}
	if diff := cmp.Diff(want, recv(t, eng.inputs)); diff != "" {
		t.Errorf("inaccessible (-want +got):\n%s", diff)
	}
	if !s.WaitFor(wait, func() bool { return len(s.Calls("answerCallbackQuery")) == 2 }) {
		t.Fatal("callbacks not answered")
	}
	calls := s.Calls("answerCallbackQuery")
	if calls[0].Fields["text"] != "Saved" || calls[0].ErrorCode != 0 || calls[1].ErrorCode != 0 {
		t.Errorf("answers = %+v", calls)
	}
}

func TestRendering(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	userDoc := s.SendDocument(alice, "licence.pdf", "application/pdf", []byte("%PDF-1.4 user\n%%EOF"))
	var fileID string
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.UpdateID == userDoc {
			fileID = in.Document.FileID
			return nil, nil
		}
		switch in.Kind {
		case conversation.InputContact:
			return []conversation.Reply{{Text: "Thanks"}}, nil
		case conversation.InputButton:
			return []conversation.Reply{
				{Toast: "Saved"},
				{EditMessageID: in.MessageID, Text: "Picked A", Buttons: [][]conversation.Button{{{Text: "✓ A", Data: "a"}}}},
			}, nil
		}
		switch in.Text {
		case "buttons":
			return []conversation.Reply{{Text: "Pick", Buttons: [][]conversation.Button{
				{{Text: "A", Data: "a"}, {Text: "B", Data: "b"}}, {}, {{Text: "C", Data: "c"}},
			}}}, nil
		case "phone":
			return []conversation.Reply{{Text: "Your phone?", RequestContact: true}}, nil
		case "reason":
			return []conversation.Reply{{Text: "Why?", ForceReply: true}}, nil
		case "secret":
			return []conversation.Reply{{DeleteMessageID: in.MessageID}, {Text: "Deleted"}}, nil
		case "docs":
			return []conversation.Reply{
				{Document: &conversation.OutDocument{FileID: fileID, Caption: "by id"}},
				{Document: &conversation.OutDocument{FileID: "stale", BlobKey: "k1", FileName: "营业执照.pdf", Caption: "fallback"}},
				{Document: &conversation.OutDocument{BlobKey: "k1", FileName: "a.pdf"}},
			}, nil
		case "edit gone":
			return []conversation.Reply{{EditMessageID: 9999, Text: "Re-sent"}}, nil
		}
		return nil, nil
	}
	startBot(t, s, eng)
	recv(t, eng.inputs) // the user's document
	count := func(n int) func() bool { return func() bool { return len(s.Messages(alice.ID)) == n } }

	s.SendText(alice, "buttons")
	if !s.WaitFor(wait, count(1)) {
		t.Fatal("no message")
	}
	pick, _ := s.LastMessage(alice.ID)
	wantButtons := [][]telegramtest.Button{{{Text: "A", Data: "a"}, {Text: "B", Data: "b"}}, {{Text: "C", Data: "c"}}}
	if diff := cmp.Diff(wantButtons, pick.Buttons); diff != "" || pick.Text != "Pick" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}

	s.SendText(alice, "phone")
	s.SendContact(alice, "+8613800138000", alice.UserID)
	s.SendText(alice, "reason")
	if !s.WaitFor(wait, count(4)) {
		t.Fatal("missing messages")
	}
	msgs := s.Messages(alice.ID)
	if !msgs[1].RequestsContact() || !strings.Contains(msgs[1].ReplyMarkup, "分享手机号") {
		t.Errorf("phone question markup = %s", msgs[1].ReplyMarkup)
	}
	if !msgs[2].RemovesKeyboard() || msgs[2].Text != "Thanks" {
		t.Errorf("after the contact: %+v, want the keyboard removed", msgs[2])
	}
	if !msgs[3].ForcesReply() || msgs[3].RemovesKeyboard() {
		t.Errorf("reason question markup = %s", msgs[3].ReplyMarkup)
	}

	s.Press(alice, pick.ID, "a")
	if !s.WaitFor(wait, func() bool { return len(s.Calls("editMessageText")) == 1 }) {
		t.Fatal("no edit")
	}
	// The same press again edits to identical content: "not modified" is
	// success, and no new message is sent.
	s.Press(alice, pick.ID, "a")
	if !s.WaitFor(wait, func() bool { return len(s.Calls("answerCallbackQuery")) == 2 }) {
		t.Fatal("second press not answered")
	}
	edited := s.Messages(alice.ID)[0]
	want := telegramtest.Message{ID: pick.ID, ChatID: alice.ID, Text: "Picked A", Edited: true,
		Buttons: [][]telegramtest.Button{{{Text: "✓ A", Data: "a"}}}}
	if diff := cmp.Diff(want, edited, cmpopts.IgnoreFields(telegramtest.Message{}, "ReplyMarkup")); diff != "" {
		t.Errorf("edited (-want +got):\n%s", diff)
	}
	for _, c := range s.Calls("answerCallbackQuery") {
		if c.Fields["text"] != "Saved" || c.ErrorCode != 0 {
			t.Errorf("answer = %+v", c)
		}
	}
	if n := len(s.Messages(alice.ID)); n != 4 {
		t.Errorf("%d messages after a not-modified edit, want 4", n)
	}

	secret := s.SendText(alice, "secret")
	// The deletion goes out alongside the reply: wait for both.
	if !s.WaitFor(wait, func() bool { return count(5)() && len(s.Deleted(alice.ID)) > 0 }) {
		t.Fatal("no reply to the secret, or no deletion")
	}
	if diff := cmp.Diff([]int{s.UserMessageID(secret)}, s.Deleted(alice.ID)); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}

	s.SendText(alice, "docs")
	if !s.WaitFor(wait, count(8)) {
		t.Fatal("documents missing")
	}
	msgs = s.Messages(alice.ID)
	if d := msgs[5].Document; d == nil || d.FileID != fileID || msgs[5].Text != "by id" {
		t.Errorf("by file_id: %+v", msgs[5])
	}
	for i, name := range map[int]string{6: "营业执照.pdf", 7: "a.pdf"} {
		if d := msgs[i].Document; d == nil || d.FileName != name || !bytes.Equal(d.Data, blobData) {
			t.Errorf("upload %d: %+v", i, msgs[i])
		}
	}
	if calls := s.Calls("sendDocument"); len(calls) != 4 || calls[1].ErrorCode != 400 || calls[2].Files["document"].Name != "营业执照.pdf" {
		t.Errorf("sendDocument calls = %+v", calls)
	}

	s.SendText(alice, "edit gone")
	if !s.WaitFor(wait, count(9)) {
		t.Fatal("a failed edit was not sent anew")
	}
	if m, _ := s.LastMessage(alice.ID); m.Text != "Re-sent" {
		t.Errorf("last = %+v", m)
	}
}

func TestEngineErrorStillSendsReplies(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{DeleteMessageID: in.MessageID}, {Text: "Please retry later"}}, errors.New("store down")
	}
	_, logs := startBot(t, s, eng)
	id := s.SendText(alice, "110101199003070019")
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok && len(s.Deleted(alice.ID)) == 1 }) {
		t.Fatal("replies not sent")
	}
	if got := s.Deleted(alice.ID); got[0] != s.UserMessageID(id) {
		t.Errorf("deleted %v", got)
	}
	if !s.WaitFor(wait, func() bool { return strings.Contains(logs.String(), "store down") }) {
		t.Error("engine error not logged")
	}
}

func TestReviewRouting(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.review = func(_ context.Context, in review.Input) ([]conversation.Reply, error) {
		switch {
		case in.Command == "pending":
			return []conversation.Reply{{Text: "申请 #R1.2.3", Buttons: [][]conversation.Button{{{Text: "通过", Data: "rv|a|1|2"}}}}}, nil
		case in.ChatID != group.ID:
			return []conversation.Reply{{Toast: "wrong chat"}}, nil
		case in.Data != "":
			return []conversation.Reply{{Toast: "done"}, {ChatID: alice.ID, Text: "approved"}}, nil
		}
		return nil, nil
	}
	startBot(t, s, eng, WithReviewChatID(group.ID))
	rita := review.Input{ChatID: group.ID, ReviewerID: 77, ReviewerName: "Rita Reviewer"}

	id := s.SendText(group, "/pending@"+telegramtest.BotUsername)
	want := rita
	want.UpdateID, want.MessageID, want.Command, want.Text = id, s.UserMessageID(id), "pending", "/pending@"+telegramtest.BotUsername
	if diff := cmp.Diff(want, recv(t, eng.reviews)); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	if !s.WaitFor(wait, func() bool { return len(s.Messages(group.ID)) == 1 }) {
		t.Fatal("no answer in the group")
	}
	notice, _ := s.LastMessage(group.ID)

	// A plain message goes to the desk, which tells a reason typed beside
	// the prompt from chatter.
	id = s.SendText(group, "lunch?")
	want = rita
	want.UpdateID, want.MessageID, want.Text = id, s.UserMessageID(id), "lunch?"
	if diff := cmp.Diff(want, recv(t, eng.reviews)); diff != "" {
		t.Errorf("plain message (-want +got):\n%s", diff)
	}

	// Ignored: a reply to someone's message (addressed to them), a command
	// for another bot, a photo. Updates of one chat are handled in order,
	// so the reply that follows proves it.
	s.ReplyTo(group, s.UserMessageID(id), "yes")
	s.SendText(group, "/pending@other_bot")
	s.SendPhoto(group)
	id = s.ReplyTo(group, notice.ID, "材料不全")
	want = rita
	want.UpdateID, want.MessageID, want.Text, want.ReplyToText = id, s.UserMessageID(id), "材料不全", "申请 #R1.2.3"
	if diff := cmp.Diff(want, recv(t, eng.reviews)); diff != "" {
		t.Errorf("reply (-want +got):\n%s", diff)
	}

	// The review button went out signed; the engine gets the data back
	// without the signature.
	signed := notice.Buttons[0][0].Data
	if !strings.HasPrefix(signed, "rv|a|1|2|") || len(signed) > 64 {
		t.Fatalf("review button data = %q, want it signed", signed)
	}
	id = s.Press(group, notice.ID, signed)
	want = rita
	want.UpdateID, want.MessageID, want.Data = id, notice.ID, "rv|a|1|2"
	if diff := cmp.Diff(want, recv(t, eng.reviews)); diff != "" {
		t.Errorf("button (-want +got):\n%s", diff)
	}
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("applicant not notified")
	}

	// A review button pressed in a private chat goes to HandleReview too,
	// which refuses it; this one is unsigned, so it is also marked.
	s.Press(alice, 999, "rv|a|1|2")
	if got := recv(t, eng.reviews); got.ChatID != alice.ID || got.Data != "rv|a|1|2" || got.ReviewerID != alice.UserID || !got.Tampered {
		t.Errorf("private review button = %+v", got)
	}

	// Another group: ignored, but its button press is still answered.
	other := telegramtest.Chat{ID: -100999, UserID: 78, Type: "supergroup", FirstName: "X"}
	s.SendText(other, "/start")
	s.Press(other, 5, "g|cont")
	if !s.WaitFor(wait, func() bool { return len(s.Calls("answerCallbackQuery")) == 3 }) {
		t.Fatal("callbacks not all answered")
	}
	// The last two presses are in different chats, so answered in either order.
	answers := s.Calls("answerCallbackQuery")
	got := []string{answers[0].Fields["text"], answers[1].Fields["text"], answers[2].Fields["text"]}
	slices.Sort(got[1:])
	if !cmp.Equal(got, []string{"done", "", "wrong chat"}) {
		t.Errorf("toasts = %q", got)
	}
	assertEmpty(t, eng.reviews)
	assertEmpty(t, eng.inputs)
}

func TestPerChatSerialisation(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	release := make(chan struct{})
	inA := make(chan struct{}, 1) // guards that Handle is never entered twice at once for chat A
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.ChatID == alice.ID {
			select {
			case inA <- struct{}{}:
			default:
				t.Errorf("update %d of chat A entered Handle while another was running", in.UpdateID)
			}
			defer func() { <-inA }()
			if in.Text == "1" {
				<-release
			}
		}
		return []conversation.Reply{{Text: "ok " + in.Text}}, nil
	}
	b, _ := startBot(t, s, eng)

	a1 := s.SendText(alice, "1")
	if got := recv(t, eng.inputs); got.UpdateID != a1 {
		t.Fatalf("first input = %+v", got)
	}
	a2 := s.SendText(alice, "2")
	b1 := s.SendText(bob, "x")
	// Bob's update, queued after Alice's second, is handled while Alice's
	// first still blocks: the second must not have entered Handle.
	if got := recv(t, eng.inputs); got.UpdateID != b1 {
		t.Fatalf("while chat A is blocked got %+v, want chat B's update %d", got, b1)
	}
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(bob.ID); return ok }) {
		t.Fatal("chat B not answered while chat A is blocked")
	}
	assertEmpty(t, eng.inputs)
	close(release)
	if got := recv(t, eng.inputs); got.UpdateID != a2 {
		t.Fatalf("after release got %+v, want %d", got, a2)
	}
	if !s.WaitFor(wait, func() bool { return len(s.Messages(alice.ID)) == 2 }) {
		t.Fatal("chat A not answered")
	}
	if msgs := s.Messages(alice.ID); msgs[0].Text != "ok 1" || msgs[1].Text != "ok 2" {
		t.Errorf("chat A answers out of order: %+v", msgs)
	}
	waitIdle(t, b)
}

// waitIdle waits until no chat has a lane. Lanes are removed just after
// their last handler returns, which no server event marks, so this yields
// instead of sleeping.
func waitIdle(t *testing.T, b *Bot) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for b.lanes.active() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d lanes left", b.lanes.active())
		}
		runtime.Gosched()
	}
}

func TestPanicRecovered(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(_ context.Context, in conversation.Input) ([]conversation.Reply, error) {
		if in.Text == "boom" || in.Kind == conversation.InputButton {
			panic("engine bug")
		}
		return []conversation.Reply{{Text: "still here"}}, nil
	}
	_, logs := startBot(t, s, eng)
	s.SendText(alice, "boom")
	s.Press(alice, 999, "x")
	s.SendText(alice, "hello")
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("no answer after a panic")
	}
	if calls := s.Calls("answerCallbackQuery"); len(calls) != 1 || calls[0].ErrorCode != 0 {
		t.Errorf("callback after a panic: answers %+v, want exactly one", calls)
	}
	if n := strings.Count(logs.String(), "panic while handling update"); n != 2 {
		t.Errorf("%d panics logged, want 2", n)
	}
}

func TestRetryAfter429(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(context.Context, conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{Text: "hi"}}, nil
	}
	startBot(t, s, eng)
	s.FailNext("sendMessage", 1, 429, 1)
	start := time.Now()
	s.SendText(alice, "hello")
	if !s.WaitFor(wait, func() bool { _, ok := s.LastMessage(alice.ID); return ok }) {
		t.Fatal("message not sent after a 429")
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("retried after %v, before retry_after", took)
	}
	calls := s.Calls("sendMessage")
	if len(calls) != 2 || calls[0].ErrorCode != 429 || calls[1].ErrorCode != 0 || calls[1].Fields["text"] != "hi" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestGracefulShutdownWaitsForHandler(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	release := make(chan struct{})
	eng.handle = func(ctx context.Context, _ conversation.Input) ([]conversation.Reply, error) {
		<-release
		if ctx.Err() != nil {
			t.Errorf("handler context cancelled by shutdown: %v", ctx.Err())
		}
		return []conversation.Reply{{Text: "done"}}, nil
	}
	b, _ := newBot(t, s, eng)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Start(ctx) }()

	s.SendText(alice, "work")
	recv(t, eng.inputs)
	cancel()
	select {
	case <-done:
		t.Fatal("Start returned while a handler was running")
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, ok := s.LastMessage(alice.ID); !ok || m.Text != "done" {
		t.Errorf("the in-flight reply was not sent before Start returned: %+v", m)
	}
}

func TestRedeliveredUpdateKeepsItsID(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng)
	id := s.SendText(alice, "once")
	recv(t, eng.inputs)
	// A copy that arrives while the update is in hand is skipped; once it
	// is confirmed, a redelivered copy goes to the engine (which dedupes).
	if !s.WaitConfirmed(id, wait) {
		t.Fatal("not confirmed")
	}
	s.Redeliver(id)
	if got := recv(t, eng.inputs); got.UpdateID != id || got.Text != "once" {
		t.Errorf("redelivered = %+v", got)
	}
}

func TestStartSetsUp(t *testing.T) {
	s := telegramtest.New(t)
	startBot(t, s, newEngine(), WithReviewChatID(group.ID))
	if !s.WaitFor(wait, func() bool { return len(s.Calls("getUpdates")) > 0 }) {
		t.Fatal("not polling")
	}
	if n := len(s.Calls("deleteWebhook")); n != 1 {
		t.Errorf("deleteWebhook called %d times", n)
	}
	sets := s.Calls("setMyCommands")
	if len(sets) != 3 {
		t.Fatalf("setMyCommands = %+v", sets)
	}
	var en []struct{ Command string }
	if err := json.Unmarshal([]byte(sets[1].Fields["commands"]), &en); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range en {
		names = append(names, c.Command)
	}
	if want := []string{"start", "help", "back", "cancel", "status", "lang", "privacy", "mydata", "withdraw", "delete"}; !cmp.Equal(names, want) ||
		sets[0].Fields["language_code"] != "" || sets[1].Fields["language_code"] != "en" ||
		!strings.Contains(sets[2].Fields["scope"], `"chat"`) {
		t.Errorf("commands = %+v", sets)
	}
	for _, c := range sets {
		if c.ErrorCode != 0 {
			t.Errorf("setMyCommands refused: %+v", c)
		}
	}
	poll := s.Calls("getUpdates")[0].Fields["allowed_updates"]
	if poll != `["message","callback_query"]` {
		t.Errorf("allowed_updates = %s", poll)
	}
}

func TestLogsCarryNoPersonalData(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	eng.handle = func(context.Context, conversation.Input) ([]conversation.Reply, error) {
		return []conversation.Reply{{EditMessageID: 4242, Text: "x"}, {DeleteMessageID: 4243}}, errors.New("store down")
	}
	b, logs := startBot(t, s, eng)
	s.FailNext("getFile", 1, 500, 0)
	s.SendText(alice, "110101199003070019")
	s.SendContact(alice, "+8613800138000", alice.UserID)
	s.SendDocument(alice, "张三身份证.pdf", "application/pdf", []byte("%PDF-1.4"))
	s.SendDocument(alice, "ok.pdf", "application/pdf", []byte("%PDF-1.4"))
	for range 4 {
		recv(t, eng.inputs)
	}
	if !s.WaitFor(wait, func() bool { return len(s.Calls("deleteMessage")) == 4 }) {
		t.Fatal("replies not sent")
	}
	waitIdle(t, b) // every handler has returned, so has logged
	out := logs.String()
	for _, secret := range []string{"110101199003070019", "13800138000", "张三", s.Token, "/file/bot"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "document not downloaded") {
		t.Errorf("download failure not logged:\n%s", out)
	}
}

func TestSkipGetMe(t *testing.T) {
	s := telegramtest.New(t)
	eng := newEngine()
	startBot(t, s, eng, WithSkipGetMe(), WithReviewChatID(group.ID))
	// Without getMe the bot does not know its name and takes any address.
	s.SendText(group, "/Pending@whoever now")
	if got := recv(t, eng.reviews); got.Command != "pending" || got.Args != "now" {
		t.Errorf("review input = %+v", got)
	}
	if n := len(s.Calls("getMe")); n != 0 {
		t.Errorf("getMe called %d times", n)
	}
}
