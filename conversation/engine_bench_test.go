package conversation_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

// benchEngine is an Engine on the in-memory ports, as in the harness.
func benchEngine() (*conversation.Engine, *conversationtest.Sessions) {
	sessions := conversationtest.NewSessions()
	meter := &conversationtest.MeteringPoints{Accounts: map[string]struct {
		Password string
		Points   []domain.MeteringPoint
	}{
		account1: {Password: queryPW, Points: []domain.MeteringPoint{
			{ID: "9000000101", Name: "1号厂房总表", Address: "重庆市渝北区某某路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			{ID: "9000000102", Name: "2号厂房", Address: "重庆市渝北区某某路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			{ID: "9000000103", Name: "办公楼", Address: "重庆市渝北区某某路3号", VoltageCode: "AC03802", TariffCategory: "general_commercial_industrial"},
		}},
	}}
	catalog := &conversationtest.Catalog{Entries: []domain.CatalogEntry{
		{ID: 1, Name: testCatalog, CreditCode: validUSCC},
		{ID: 2, Name: "重庆某某化工有限公司", CreditCode: "91500103000000000M"},
	}}
	clock := &conversationtest.Clock{T: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	e := conversation.New(conversation.Deps{
		Sessions: sessions, Registrations: conversationtest.NewRegistrations(), Catalog: catalog,
		MeteringPoints: meter, Files: &conversationtest.Files{}, Secrets: conversationtest.Secrets{},
		QueryGuard: &conversationtest.QueryGuard{},
	}, conversation.Config{Regions: regions, Now: clock.Now})
	return e, sessions
}

// registrationInputs is the complete registration of the golden transcript
// up to the summary (the submission is left out so that every iteration's
// login name stays free), on the in-memory ports.
func registrationInputs() []conversation.Input {
	text := func(s string) conversation.Input { return conversation.Input{Kind: conversation.InputText, Text: s} }
	press := func(d string) conversation.Input {
		return conversation.Input{Kind: conversation.InputButton, Data: d, MessageID: 1}
	}
	doc := func(name string) conversation.Input {
		pdf := conversationtest.PDF(name)
		return conversation.Input{Kind: conversation.InputDocument, Document: &conversation.Document{
			FileID: "f-" + name, FileName: name, Size: int64(len(pdf)), Data: pdf}}
	}
	return []conversation.Input{
		{Kind: conversation.InputCommand, Command: "start", Text: "/start", LangHint: "zh-hans"},
		press("start|go"), press("notice|agree"), press("member|electricity_user"),
		text("某某机械"), press("ent|p:1"), press("login|v:cqmmjxzzyxgs"), press("uname|v:重庆某某机械制造有限公司交易员"),
		text(validID), text(platformPW), text(platformPW),
		text("张三"), text("500"), text("2010-05-20"), press("term|open"), text("通用设备制造业"),
		press("utype|direct"), press("utypeok|yes"), press("region|r:500112"),
		text("重庆市渝北区某某路1号"), text("中国工商银行重庆渝北支行"), press("bankname|ent"),
		text("3100021109024412345"), text("李四"), text("能源主管"),
		{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: "13800138000", UserID: userID}},
		text("lisi@example.com"), press("tel|skip"), press("fax|skip"), press("mailaddr|same"), text("401120"),
		doc("catalog.pdf"), doc("licence.pdf"), text(account1), text(queryPW),
		press("points|t:0"), press("points|t:2"), press("points|gen"),
		press("unittype|large_industrial"), press("unithe|none"),
		press("unittype|general_commercial_industrial"), press("unithe|30"), press("more|done"),
	}
}

// BenchmarkEngineStep runs complete registrations (to the summary) through
// Engine.Handle on in-memory ports; ns/op and allocs/op are per step.
func BenchmarkEngineStep(b *testing.B) {
	e, _ := benchEngine()
	ins := registrationInputs()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	chat, n := int64(0), 0
	for b.Loop() {
		if n%len(ins) == 0 {
			chat++
		}
		in := ins[n%len(ins)]
		n++
		in.UpdateID, in.ChatID, in.UserID = int64(n), chat, chat
		if in.MessageID == 0 {
			in.MessageID = n
		}
		if _, err := e.Handle(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// fullDraft is the session of a registration that reached the summary.
func fullDraft(tb testing.TB) conversation.Session {
	e, sessions := benchEngine()
	for i, in := range registrationInputs() {
		in.UpdateID, in.ChatID, in.UserID = int64(i+1), chatID, userID
		if in.MessageID == 0 {
			in.MessageID = i + 100
		}
		if _, err := e.Handle(context.Background(), in); err != nil {
			tb.Fatal(err)
		}
	}
	s := sessions.Get(chatID)
	if s.State != conversation.StSummary {
		tb.Fatalf("the registration ended in state %s, not the summary", s.State)
	}
	return s
}

// BenchmarkSessionCodec encodes and decodes a complete draft the way the
// Redis session store does (encoding/json of conversation.Session).
func BenchmarkSessionCodec(b *testing.B) {
	s := fullDraft(b)
	data, err := json.Marshal(&s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := json.Marshal(&s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var got conversation.Session
			if err := json.Unmarshal(data, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}
