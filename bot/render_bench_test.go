package bot

import (
	"context"
	"io"
	"log/slog"
	"testing"

	tgbot "github.com/go-telegram/bot"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation"
)

// BenchmarkRender renders one typical step's replies (the answered
// question's buttons removed, the next question with its progress line and
// a row of buttons) as the bot sends them (JSON calls, botapi.Client.Call) to the
// in-process fake Bot API: two HTTP round trips on loopback. The fake's
// own work and allocations are included (it runs in this process), so the
// figures are an upper bound of the bot's share.
func BenchmarkRender(b *testing.B) {
	s := telegramtest.New(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bt, err := New(s.Token, newEngine(), WithServerURL(s.URL()), WithLogger(log), WithFiles(blobs{}), WithSkipGetMe())
	if err != nil {
		b.Fatal(err)
	}
	s.SendText(alice, "hello") // the fake knows the chat once its user wrote
	ctx := context.Background()
	first, err := bt.tg.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "第 3/9 步 · 联系信息\n请输入联系人的手机号"})
	if err != nil {
		b.Fatal(err)
	}
	replies := []conversation.Reply{
		{ChatID: alice.ID, ClearButtonsOf: first.ID},
		{ChatID: alice.ID, Text: "第 4/9 步 · 联系信息\n请输入电子邮箱（例如 name@example.com）。", Buttons: [][]conversation.Button{
			{{Text: "跳过", Data: "email|skip"}, {Text: "上一步", Data: "g|back"}},
		}},
	}
	b.ReportAllocs()
	for b.Loop() {
		bt.Send(ctx, replies)
	}
}
