package e2e

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/app"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/docsandbox"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) {
	docsandbox.MaybeServe() // Main's document checker runs this binary
	// As the binaries do: go-redis's lines (dial failures while a test has
	// stopped Redis) as JSON warnings.
	app.RouteLibraryLogs(app.NewLogger(os.Stderr, "warn"))
	devstack.Main(m)
}

// TestEndToEnd plays a full registration and its approval through the fake
// Telegram API against real Redis and Postgres, with a restart in the
// middle, bad input at several steps, a double tap and a redelivery.
func TestEndToEnd(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.Main.DB); err != nil {
		t.Fatal(err)
	}

	w.Say("/start", "开始注册")
	w.Press("开始注册", "注册须知")
	w.Press("我已阅读注册须知并同意条款", "市场成员类型")
	w.Press("售电公司", "只办理电力用户")
	w.Press("电力用户", "关键词")
	w.Say("不存在的公司名", "没有找到")
	w.Say("江北精工", "找到 1 家企业")
	w.Press("重庆江北精工机械有限公司", "登录名")
	w.Press("cqjbjgjxyxgs", "用户名")
	w.Press("交易员", "身份证号码")

	// A wrong check digit: the message is deleted and the question repeats.
	wrong := w.Say("500103197001010010", "校验位")
	if !w.TG.WaitFor(WaitTime, func() bool { return contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(wrong)) }) {
		t.Fatal("the message with the wrong ID number was not deleted")
	}
	idUpdate := w.Say(IDNumber, "已记录身份证号码：500***********0011")
	pw1 := w.Say(Password, "再次输入密码")
	pw2 := w.Say(Password, "统一社会信用代码：") // from the catalog: shown, not asked
	if !w.TG.WaitFor(WaitTime, func() bool {
		d := w.TG.Deleted(w.User.ID)
		return contains(d, w.TG.UserMessageID(idUpdate)) && contains(d, w.TG.UserMessageID(pw1)) && contains(d, w.TG.UserMessageID(pw2))
	}) {
		t.Fatal("ID number and password messages were not all deleted")
	}

	// The process restarts: the applicant continues where they were.
	w.Restart()
	w.Say("张三", "注册资本")
	w.Say("/back", "法定代表人姓名")
	w.Say("张三丰", "注册资本")
	w.Say("500", "成立日期")
	w.Say("2010-05-20", "营业期限")
	w.Press("长期", "所属行业")
	w.Say("通用设备制造业", "用户类型")
	w.Press("直接交易用户", "确认吗")
	w.Press("确认", "地理区域")
	w.Press("下一页", "第 2/")
	w.Press("上一页", "第 1/")
	w.Press("江北区", "注册地址")
	w.Say("重庆市江北区某某路8号", "开户银行")
	w.Say("中国工商银行重庆江北支行", "开户名称")
	w.Press("重庆江北精工机械有限公司", "银行账号")
	w.Say("3100021109024412345", "联系人姓名")
	w.Say("李四", "职务")
	w.Say("能源主管", "手机号")
	before := w.Snapshot(w.User.ID)
	w.TG.SendContact(w.User, "+8613800138000", 999) // somebody else's contact
	w.Await(w.User.ID, before, "本人")
	before = w.Snapshot(w.User.ID)
	w.TG.SendContact(w.User, "+8613800138000", w.User.UserID)
	w.Await(w.User.ID, before, "电子邮箱")
	w.Say("lisi@example.com", "办公电话")
	w.Say("023-67001234", "传真")
	w.Press("跳过", "通信地址")
	w.Press("同注册地址", "邮政编码")
	w.Say("400020", "准入目录文件")
	before = w.Snapshot(w.User.ID)
	w.TG.SendSticker(w.User)
	w.Await(w.User.ID, before, "PDF")
	w.Document("catalog.docx", []byte("PK\x03\x04 a word file"), "这不是 PDF")
	w.Document("准入目录.PDF", conversationtest.PDF("catalog"), "营业执照")
	w.Document("营业执照.pdf", conversationtest.PDF("licence"), "营销户号")
	w.Say("5000000001", "查询密码")
	w.Say("000000", "查询密码不正确")
	w.Say("123456", "共有 3 个计量点")
	w.Press("5000000001001", "已选 1 个")
	w.Press("5000000001003", "已选 2 个")
	w.Press("生成用电单元", "用电单元 1/2")
	w.Press("大工业用电", "高耗能行业类别")
	w.Press("非高耗能", "用电单元 2/2")
	w.Press("一般工商业用电", "高耗能行业类别")
	w.Press("非金属矿物制品业", "其他营销户号")
	w.Press("没有了", "注册信息汇总")

	// Double tap on submit, then a redelivery of the tap: one application.
	m, submit := w.Button(w.User.ID, "提交")
	before = w.Snapshot(w.User.ID)
	first := w.TG.Press(w.User, m.ID, submit.Data)
	w.TG.Press(w.User, m.ID, submit.Data)
	done := w.Await(w.User.ID, before, "已提交")
	w.TG.Redeliver(first)
	if !w.TG.WaitConfirmed(first+1, WaitTime) {
		t.Fatal("the second tap was never polled")
	}
	ref := strings.Fields(strings.TrimPrefix(done.Text[strings.Index(done.Text, "CQ-"):], ""))[0]

	// The review group got the digest and both PDFs.
	notice := w.Await(ReviewChat, map[int]string{}, "新注册申请 "+ref)
	for _, want := range []string{"重庆江北精工机械有限公司", "91500105MA5UGC5M5E", "直接交易用户", "江北区", "5000000001003"} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("review notice lacks %q:\n%s", want, notice.Text)
		}
	}
	if !w.TG.WaitFor(WaitTime, func() bool { return countDocs(w.TG.Messages(ReviewChat)) == 2 }) {
		t.Fatalf("review group got %d documents, want 2", countDocs(w.TG.Messages(ReviewChat)))
	}

	// A non-reviewer's tap changes nothing; the reviewer's approves.
	stranger := w.Group
	stranger.UserID, stranger.FirstName = 31337, "路人"
	_, approve := w.Button(ReviewChat, "通过")
	w.TG.Press(stranger, notice.ID, approve.Data)
	if !w.TG.WaitFor(WaitTime, func() bool { return answered(w.TG, "不是授权审核人员") }) {
		t.Fatal("non-reviewer was not told off")
	}
	before = w.Snapshot(ReviewChat)
	w.TG.Press(w.Group, notice.ID, approve.Data)
	edited := w.Await(ReviewChat, before, "已通过")
	if len(edited.Buttons) != 0 || !strings.Contains(edited.Text, "王审核") {
		t.Errorf("group message after approval: %+v", edited)
	}
	w.Await(w.User.ID, map[int]string{}, "已审核通过")
	w.Await(w.User.ID, map[int]string{}, "数字证书")

	// What Postgres holds.
	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var (
		n                    int
		status, masked, orgc string
		cipher, sealed       []byte
		flagged              bool
	)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM applications`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("applications = %d (%v), want 1", n, err)
	}
	err = conn.QueryRow(ctx, `SELECT status, password_sealed, legal_rep_id_masked, legal_rep_id_cipher, organization_code, credit_code_flagged
		FROM applications`).Scan(&status, &sealed, &masked, &cipher, &orgc, &flagged)
	if err != nil {
		t.Fatal(err)
	}
	opened, openErr := conversationtest.OpenPassword(sealed)
	if status != string(domain.StatusApproved) || opened != Password || masked != "500***********0011" ||
		strings.Contains(string(cipher), IDNumber) || len(cipher) < 18 || orgc != "MA5UGC5M5" || flagged {
		t.Errorf("row: status %s, sealed password opens to %q (%v), masked %s, cipher %d bytes, org %s, flagged %v",
			status, opened, openErr, masked, len(cipher), orgc, flagged)
	}
	var units, atts, decisions int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM units`).Scan(&units)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE file_name LIKE '%.pdf'`).Scan(&atts)
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM review_decisions WHERE reviewer_id = $1 AND verdict = 'approve'`, Reviewer).Scan(&decisions)
	if units != 2 || atts != 2 || decisions != 1 {
		t.Errorf("units %d, attachments %d, decisions %d; want 2, 2, 1", units, atts, decisions)
	}
}
