package botapi

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot/models"
	"github.com/google/go-cmp/cmp"
)

// DecodeUpdate gives what json.Unmarshal gives, for every kind of update
// the bot receives and a callback query with and without its message.
func TestDecodeUpdateAsUnmarshal(t *testing.T) {
	for name, raw := range map[string]string{
		"text": `{"update_id":7,"message":{"message_id":3,"from":{"id":42,"is_bot":false,"first_name":"A","language_code":"zh-hans"},` +
			`"chat":{"id":42,"type":"private","first_name":"A"},"date":1764000000,"text":"某某机械"}}`,
		"document": `{"update_id":8,"message":{"message_id":4,"from":{"id":42,"is_bot":false,"first_name":"A"},` +
			`"chat":{"id":42,"type":"private"},"date":1764000000,"document":{"file_id":"f","file_unique_id":"u","file_name":"a.pdf","mime_type":"application/pdf","file_size":1234}}}`,
		"contact": `{"update_id":9,"message":{"message_id":5,"chat":{"id":42,"type":"private"},"date":1764000000,` +
			`"contact":{"phone_number":"13800138000","first_name":"A","user_id":42}}}`,
		"callback query": `{"update_id":10,"callback_query":{"id":"cb1","from":{"id":42,"is_bot":false,"first_name":"A"},` +
			`"message":{"message_id":6,"from":{"id":1,"is_bot":true,"first_name":"bot"},"chat":{"id":42,"type":"private"},"date":1764000000,` +
			`"text":"请选择","reply_markup":{"inline_keyboard":[[{"text":"是","callback_data":"x|y"},{"text":"否","callback_data":"x|n"}]]}},` +
			`"chat_instance":"ci","data":"x|y"}}`,
		"callback query on an inaccessible message": `{"update_id":11,"callback_query":{"id":"cb2","from":{"id":42,"is_bot":false,"first_name":"A"},` +
			`"message":{"message_id":6,"chat":{"id":42,"type":"private"},"date":0},"chat_instance":"ci","data":"x|y"}}`,
		"callback query without a message": `{"update_id":12,"callback_query":{"id":"cb3","from":{"id":42,"is_bot":false,"first_name":"A"},` +
			`"inline_message_id":"im","chat_instance":"ci","data":"x|y"}}`,
		"review group message": `{"update_id":13,"message":{"message_id":9,"from":{"id":7,"is_bot":false,"first_name":"R"},` +
			`"chat":{"id":-100123,"type":"supergroup","title":"审核"},"date":1764000000,"text":"原因",` +
			`"reply_to_message":{"message_id":8,"chat":{"id":-100123,"type":"supergroup"},"date":1764000000,"text":"请回复原因"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var want, got models.Update
			if err := json.Unmarshal([]byte(raw), &want); err != nil {
				t.Fatal(err)
			}
			if err := DecodeUpdate([]byte(raw), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DecodeUpdate differs from json.Unmarshal (-want +got):\n%s", diff)
			}
		})
	}
	var u models.Update
	if err := DecodeUpdate([]byte(`{"update_id":1,"callback_query":{"id":5}}`), &u); err == nil {
		t.Error("a malformed update decoded without an error")
	}
}

func BenchmarkDecodeCallbackUpdate(b *testing.B) {
	raw := []byte(`{"update_id":10,"callback_query":{"id":"cb1","from":{"id":42,"is_bot":false,"first_name":"A"},` +
		`"message":{"message_id":6,"from":{"id":1,"is_bot":true,"first_name":"bot"},"chat":{"id":42,"type":"private"},"date":1764000000,` +
		`"text":"请选择计量点","reply_markup":{"inline_keyboard":[[{"text":"☐ 5000000001001 一号计量点 · 交流10kV · 重庆市某某区某某路1号","callback_data":"points|t:0"}],` +
		`[{"text":"☐ 5000000001002 二号计量点 · 交流10kV · 重庆市某某区某某路2号","callback_data":"points|t:1"}],` +
		`[{"text":"全选","callback_data":"points|all"},{"text":"全不选","callback_data":"points|clear"}]]}},` +
		`"chat_instance":"ci","data":"points|t:1"}}`)
	for _, bc := range []struct {
		name   string
		decode func([]byte, *models.Update) error
	}{
		{"Unmarshal", func(d []byte, u *models.Update) error { return json.Unmarshal(d, u) }},
		{"DecodeUpdate", DecodeUpdate},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var u models.Update
				if err := bc.decode(raw, &u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
