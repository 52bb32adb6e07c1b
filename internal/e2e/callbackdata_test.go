package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// TestCallbackDataShortAndOpaque collects every button the bot showed in
// a full registration and its review notice: all callback data fits
// Telegram's 64 bytes and carries none of what the applicant typed
// (buttons name a step and an option, not a typed answer), and review buttons
// are signed. Then forged presses change nothing: junk data in the
// applicant's chat, and review data with a made-up signature, pressed by
// the reviewer in the group.
func TestCallbackDataShortAndOpaque(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.Main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range RegistrationSteps(w) {
		if step == nil {
			w.QueryStep()
		} else {
			step()
		}
	}
	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请")

	typed := []string{IDNumber, Password, "123456", "张三丰", "13800138000", "lisi@example.com", "3100021109024412345",
		"重庆市江北区某某路8号", "中国工商银行", "李四", "能源主管", "023-67001234", "400020", "通用设备制造业"}
	// Suggestion buttons ("v:…") carry values derived from the public
	// catalog (user name, bank account name), which is allowed; their
	// length is what matters (see the report of issue 5: a long enterprise
	// name makes them exceed 64 bytes).
	signed := regexp.MustCompile(`^rv\|.*\|[A-Za-z0-9_-]{16}$`)
	n := 0
	for _, method := range []string{"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"} {
		for _, c := range w.TG.Calls(method) {
			var markup struct {
				InlineKeyboard [][]struct {
					Text         string `json:"text"`
					CallbackData string `json:"callback_data"`
				} `json:"inline_keyboard"`
			}
			if c.Fields["reply_markup"] == "" {
				continue
			}
			if err := json.Unmarshal([]byte(c.Fields["reply_markup"]), &markup); err != nil {
				t.Fatalf("%s reply_markup: %v", method, err)
			}
			for _, row := range markup.InlineKeyboard {
				for _, b := range row {
					n++
					if len(b.CallbackData) > 64 {
						t.Errorf("button %q: callback data of %d bytes", b.Text, len(b.CallbackData))
					}
					for _, s := range typed {
						if strings.Contains(b.CallbackData, s) {
							t.Errorf("button %q: callback data %q carries %q", b.Text, b.CallbackData, s)
						}
					}
					if strings.HasPrefix(b.CallbackData, "rv|") && !signed.MatchString(b.CallbackData) {
						t.Errorf("review button %q: data %q is not signed", b.Text, b.CallbackData)
					}
				}
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d buttons seen", n)
	}

	// Forgeries: nothing changes, nobody is told anything but a toast.
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 2 }) {
		t.Fatal("the review notice's documents never arrived")
	}
	userMsgs, groupMsgs := len(w.TG.Messages(w.User.ID)), len(w.TG.Messages(ReviewChat))
	_, approve := w.Button(ReviewChat, "通过")
	forged := approve.Data[:len(approve.Data)-16] + "AAAAAAAAAAAAAAAA"
	junk := []string{"", "x", "rv|a|1|1", forged, "g|delete", strings.Repeat("z", 64)}
	var ids []int64
	for _, d := range junk {
		ids = append(ids, w.TG.Press(w.User, notice.ID, d))
	}
	ids = append(ids, w.TG.Press(w.Group, notice.ID, forged))
	for _, id := range ids {
		if !w.TG.WaitFor(WaitTime, func() bool { _, ok := w.TG.Answer(id); return ok }) {
			t.Fatalf("press %d not answered", id)
		}
	}
	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var status string
	var decisions int
	_ = conn.QueryRow(ctx, `SELECT status FROM applications`).Scan(&status)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM review_decisions`).Scan(&decisions)
	if status != "submitted" || decisions != 0 {
		t.Errorf("after forged presses: status %s, %d decisions", status, decisions)
	}
	if u, g := len(w.TG.Messages(w.User.ID)), len(w.TG.Messages(ReviewChat)); u > userMsgs+len(junk) || g != groupMsgs {
		t.Errorf("forged presses sent messages: applicant %d → %d, group %d → %d", userMsgs, u, groupMsgs, g)
	}
}

// TestLongEnterpriseName: an enterprise name of 19 Chinese characters
// would make the user-name suggestion's callback data longer than
// Telegram's 64 bytes, and Telegram would refuse the whole question. The
// question arrives (without the suggestion) and a typed name is taken.
func TestLongEnterpriseName(t *testing.T) {
	const long = "重庆市江北区某某精密机械制造股份有限公司"
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	if _, _, err := w.Main.DB.ImportCatalog(ctx, []domain.CatalogEntry{{Name: long, CreditCode: "91500105MA5UGC5M5E"}}); err != nil {
		t.Fatal(err)
	}
	w.Say("/start", "开始注册")
	w.Press("开始注册", "注册须知")
	w.Press("我已阅读注册须知并同意条款", "市场成员类型")
	w.Press("电力用户", "关键词")
	w.Say("精密机械", "找到 1 家企业")
	w.Press(long, "登录名")
	m, b := w.Button(w.User.ID, "")
	before := w.Snapshot(w.User.ID)
	w.TG.Press(w.User, m.ID, b.Data)
	w.Await(w.User.ID, before, "用户名")
	w.Say("江北精密交易员", "身份证号码")
	for _, c := range w.TG.Calls("sendMessage") {
		if c.ErrorCode != 0 {
			t.Errorf("sendMessage refused (%d): %.80q", c.ErrorCode, c.Fields["text"])
		}
	}
}
