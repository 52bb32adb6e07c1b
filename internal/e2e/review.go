package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/internal/devstack"
)

// End-to-end tests of the review group: the fake Telegram API, real Redis
// and Postgres, regbot's Main.

var (
	secondReviewer = telegramtest.Chat{ID: ReviewChat, UserID: 43, Type: "supergroup", FirstName: "李审核", Title: "审核群"}
	stranger       = telegramtest.Chat{ID: ReviewChat, UserID: 31337, Type: "supergroup", FirstName: "路人", Title: "审核群"}
)

// submit plays a short registration (a direct-trading user with one unit)
// as w.User and returns the application's reference.
func (w *World) Submit() string {
	w.t.Helper()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		w.t.Fatal(err)
	}
	w.Say("/start", "开始注册")
	w.Press("开始注册", "注册须知")
	w.Press("我已阅读注册须知并同意条款", "市场成员类型")
	w.Press("电力用户", "关键词")
	w.Say("江北精工", "找到 1 家企业")
	w.Press("重庆江北精工机械有限公司", "登录名")
	w.Press("cqjbjgjxyxgs", "用户名")
	w.Press("交易员", "身份证号码")
	w.Say(IDNumber, "已记录身份证号码")
	w.Say(Password, "再次输入密码")
	w.Say(Password, "法定代表人姓名") // the credit code comes from the catalog
	w.Say("张三丰", "注册资本")
	w.Say("500", "成立日期")
	w.Say("2010-05-20", "营业期限")
	w.Press("长期", "所属行业")
	w.Say("通用设备制造业", "用户类型")
	w.Press("直接交易用户", "确认吗")
	w.Press("确认", "地理区域")
	w.Press("江北区", "注册地址")
	w.Say("重庆市江北区某某路8号", "开户银行")
	w.Say("中国工商银行重庆江北支行", "开户名称")
	w.Press("重庆江北精工机械有限公司", "银行账号")
	w.Say("3100021109024412345", "联系人姓名")
	w.Say("李四", "职务")
	w.Say("能源主管", "手机号")
	w.Say("13800138000", "电子邮箱")
	w.Say("lisi@example.com", "办公电话")
	w.Press("跳过", "传真")
	w.Press("跳过", "通信地址")
	w.Press("同注册地址", "邮政编码")
	w.Say("400020", "准入目录文件")
	w.Document("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	w.Document("营业执照.pdf", conversationtest.PDF("licence"), "营销户号")
	w.Say("5000000001", "查询密码")
	w.Say("123456", "共有 3 个计量点")
	w.Press("5000000001001", "已选 1 个")
	w.Press("生成用电单元", "用电单元 1/1")
	w.Press("大工业用电", "高耗能行业类别")
	w.Press("非高耗能", "其他营销户号")
	w.Press("没有了", "注册信息汇总")
	done := w.SubmitPress()
	return Reference(w.t, done.Text)
}

// submitPress presses 提交 and waits for the confirmation.
func (w *World) SubmitPress() telegramtest.Message {
	w.t.Helper()
	m, b := w.Button(w.User.ID, "提交")
	before := w.Snapshot(w.User.ID)
	w.TG.Press(w.User, m.ID, b.Data)
	return w.Await(w.User.ID, before, "已提交")
}

func Reference(tb testing.TB, text string) string {
	tb.Helper()
	i := strings.Index(text, "CQ-")
	if i < 0 {
		tb.Fatalf("no reference in %q", text)
	}
	return strings.Fields(text[i:])[0]
}

// ButtonOn returns the button of m whose text contains label.
func ButtonOn(tb testing.TB, m telegramtest.Message, label string) telegramtest.Button {
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
func (w *World) Tap(who telegramtest.Chat, msgID int, data string) string {
	w.t.Helper()
	upd := w.TG.Press(who, msgID, data)
	var text string
	if !w.TG.WaitFor(WaitTime, func() bool {
		var ok bool
		text, ok = w.TG.Answer(upd)
		return ok
	}) {
		w.t.Fatalf("press of %q by %d not answered", data, who.UserID)
	}
	return text
}

// groupSays sends text to the review group as who and waits for the bot's
// message containing want.
func (w *World) GroupSays(who telegramtest.Chat, text, want string) telegramtest.Message {
	w.t.Helper()
	before := w.Snapshot(ReviewChat)
	w.TG.SendText(who, text)
	return w.Await(ReviewChat, before, want)
}

// show asks for an application's details in the group (as the reviewer).
func (w *World) Show(ref string) telegramtest.Message {
	w.t.Helper()
	return w.GroupSays(w.Group, "/show "+ref, "申请 "+ref)
}

func (w *World) Conn() *pgx.Conn {
	w.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.Close(ctx) })
	return conn
}
