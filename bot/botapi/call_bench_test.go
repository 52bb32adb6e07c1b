//go:build unix

package botapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// BenchmarkSendMessage compares go-telegram/bot's SendMessage (multipart
// form through an io.Pipe, the whole Message decoded) with Call (JSON body,
// only message_id decoded) for a typical question with two buttons,
// against a loopback server that reads the body and answers with the
// echoed message as Telegram does. Both go through the bot's transport
// (deadlines, sized bodies, observer). Allocations and cpu-ns/op (the
// process's user and system CPU time, less sensitive than ns/op to a busy
// machine) include the server's, which is the same for both.
func BenchmarkSendMessage(b *testing.B) {
	const text = "请输入企业的统一社会信用代码（18 位，由数字和大写字母组成），例如 91500000MA5U7XXXXX。" +
		"如需返回上一步，请发送 /back。"
	answer := `{"ok":true,"result":{"message_id":1234,"from":{"id":7000001,"is_bot":true,"first_name":"RegBot",` +
		`"username":"regbot_bot"},"chat":{"id":501,"first_name":"Alice","type":"private"},"date":1764115200,` +
		`"text":"` + text + `","reply_markup":{"inline_keyboard":[[{"text":"返回","callback_data":"s|back"},` +
		`{"text":"取消","callback_data":"s|cancel"}]]}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	c, tg := newClient(b, srv.URL, "123:BENCH")
	p := &tgbot.SendMessageParams{ChatID: int64(501), Text: text,
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: "返回", CallbackData: "s|back"}, {Text: "取消", CallbackData: "s|cancel"}}}}}
	// Every update's calls have a deadline (the per-update timeout).
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()

	b.Run("go-telegram", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			m, err := tg.SendMessage(ctx, p)
			if err != nil || m.ID != 1234 {
				b.Fatal(m.ID, err)
			}
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime(b)
		for b.Loop() {
			var m SentMessage
			if err := c.Call(ctx, "sendMessage", p, &m); err != nil || m.ID != 1234 {
				b.Fatal(m.ID, err)
			}
		}
		b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
	})
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
