package e2e

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/bot/telegramtest"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

// TestCompleteForm fills every field of the form through the fake Telegram
// API, with both PDFs, two marketing accounts and three units, edits two
// answers from the summary, and checks that Postgres holds every value.
func TestCompleteForm(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	ctx := context.Background()
	if err := devstack.LoadSampleCatalog(ctx, w.Main.DB); err != nil {
		t.Fatal(err)
	}

	w.Say("/start", "注册助手")
	w.Press("开始注册", "注册须知")
	w.Press("我已阅读注册须知并同意条款", "市场成员类型")
	w.Press("电力用户", "关键词")
	w.Say("渝新机械", "找到 1 家企业")
	w.Press("重庆渝新机械制造有限公司", "登录名")
	w.Say("cqyxjx2026", "用户名")
	w.Say("重庆渝新交易员", "身份证号码")
	w.Say("11010519491231002x", "已记录身份证号码")
	const password = "Yx#2026pass"
	w.Say(password, "再次输入密码")
	// The credit code comes from the catalog: shown, not asked.
	w.Say(password, "统一社会信用代码：91500103MA5UAEH71T（取自准入目录")
	w.Say("王五", "注册资本")
	w.Say("1200.5万元", "成立日期")
	w.Say("2008/03/18", "营业期限")
	w.Say("2038-03-17", "所属行业")
	w.Say("通用设备制造业", "用户类型")
	w.Press("零售用户", "确认吗")
	w.Press("重新选择", "用户类型") // changed their mind
	w.Press("零售用户", "确认吗")
	w.Press("确认", "地理区域")
	w.Say("渝中", "注册地址") // a typed district
	w.Say("重庆市渝中区解放碑某某街18号", "开户银行")
	w.Say("中国建设银行重庆解放碑支行", "开户名称")
	w.Say("重庆渝新机械制造有限公司", "银行账号")
	w.Say("5000 1234 5678 9012", "联系人姓名")
	w.Say("赵六", "职务")
	w.Say("能源经理", "手机号")
	w.Say("199 2345 6789", "电子邮箱")
	w.Say("zhao6@example.com", "办公电话")
	w.Say("023-63001234", "传真")
	w.Say("02363001235", "通信地址")
	w.Say("重庆市渝中区邮政信箱88号", "邮政编码")
	w.Say("400010", "准入目录文件")
	w.Document("准入目录.PDF", conversationtest.PDF("catalog"), "营业执照")
	w.Document("licence.pdf", conversationtest.PDF("licence"), "营销户号")
	w.Say("5000000001", "查询密码")
	w.Say("123456", "共有 3 个计量点")
	w.Press("5000000001001", "已选 1 个")
	w.Press("5000000001002", "已选 2 个")
	w.Press("生成用电单元", "用电单元 1/2")
	w.Press("大工业用电", "高耗能行业类别")
	w.Press("黑色金属", "用电单元 2/2")
	w.Press("工商业用电（两部制）", "高耗能行业类别")
	w.Press("非高耗能", "其他营销户号")
	w.Press("添加其他营销户号", "营销户号")
	w.Say("5000000002", "查询密码")
	w.Say("222222", "共有 2 个计量点")
	w.Press("5000000002002", "已选 1 个")
	w.Press("生成用电单元", "用电单元 3/3")
	w.Press("一般工商业用电", "高耗能行业类别")
	w.Press("非金属矿物制品业", "其他营销户号")
	w.Press("没有了", "注册信息汇总")

	// Two edits from the summary: the e-mail, and the business term.
	w.Press("修改", "要修改的内容")
	w.Press("联系信息", "电子邮箱")
	w.Press("电子邮箱", "zhao6@example.com") // the old answer is offered
	w.Say("energy@yuxin.example.cn", "注册信息汇总")
	w.Press("修改", "要修改的内容")
	w.Press("基本信息", "营业期限")
	w.Press("营业期限", "营业期限截止日期")
	w.Press("长期", "注册信息汇总")
	w.Press("提交", "已提交")

	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var got struct {
		status, member, login, user, masked                                  string
		sealed                                                               []byte
		name, code, org, tax, legal, capital, industry, utype, region, raddr string
		founded                                                              time.Time
		termOpen, flagged, typed                                             bool
		catalogCode                                                          string
		bank, acctName, acctNo                                               string
		person, position, mobile, email, tel, fax, mail, postcode            string
	}
	err = conn.QueryRow(ctx, `SELECT status, member_type, login_name, user_name, legal_rep_id_masked, password_sealed,
		enterprise_name, credit_code, organization_code, tax_number, legal_rep_name, registered_capital, industry,
		user_type, region_code, registered_address, founded_on, business_term_open, credit_code_flagged,
		credit_code_typed, catalog_credit_code, bank_name, bank_account_name, bank_account_number,
		contact_person, contact_position, mobile, email, landline, fax, mailing_address, postcode
		FROM applications`).Scan(&got.status, &got.member, &got.login, &got.user, &got.masked, &got.sealed,
		&got.name, &got.code, &got.org, &got.tax, &got.legal, &got.capital, &got.industry,
		&got.utype, &got.region, &got.raddr, &got.founded, &got.termOpen, &got.flagged,
		&got.typed, &got.catalogCode, &got.bank, &got.acctName, &got.acctNo,
		&got.person, &got.position, &got.mobile, &got.email, &got.tel, &got.fax, &got.mail, &got.postcode)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ field, got, want string }{
		{"status", got.status, "submitted"},
		{"member type", got.member, "electricity_user"},
		{"login name", got.login, "cqyxjx2026"},
		{"user name", got.user, "重庆渝新交易员"},
		{"masked ID", got.masked, "110***********002X"},
		{"enterprise", got.name, "重庆渝新机械制造有限公司"},
		{"credit code", got.code, "91500103MA5UAEH71T"},
		{"catalog's credit code", got.catalogCode, "91500103MA5UAEH71T"},
		{"organisation code", got.org, "MA5UAEH71"},
		{"tax number", got.tax, "91500103MA5UAEH71T"},
		{"legal rep", got.legal, "王五"},
		{"capital", got.capital, "1200.5"},
		{"industry", got.industry, "通用设备制造业"},
		{"user type", got.utype, "retail"},
		{"region", got.region, "500103"},
		{"registered address", got.raddr, "重庆市渝中区解放碑某某街18号"},
		{"founded", got.founded.Format("2006-01-02"), "2008-03-18"},
		{"bank", got.bank, "中国建设银行重庆解放碑支行"},
		{"account name", got.acctName, "重庆渝新机械制造有限公司"},
		{"account number", got.acctNo, "5000123456789012"},
		{"contact", got.person, "赵六"},
		{"position", got.position, "能源经理"},
		{"mobile", got.mobile, "19923456789"},
		{"email (edited)", got.email, "energy@yuxin.example.cn"},
		{"landline", got.tel, "023-63001234"},
		{"fax", got.fax, "02363001235"},
		{"mailing address", got.mail, "重庆市渝中区邮政信箱88号"},
		{"postcode", got.postcode, "400010"},
	}
	for _, c := range want {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	// The ID number is stored encrypted, and opens with the configured key.
	var sealed domain.SealedID
	if err := conn.QueryRow(ctx, `SELECT legal_rep_id_key_id, legal_rep_id_cipher, legal_rep_id_hash FROM applications`).
		Scan(&sealed.KeyID, &sealed.Ciphertext, &sealed.Hash); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed.Ciphertext), "110105") || len(sealed.Hash) == 0 {
		t.Errorf("ID number not sealed: %q", sealed.Ciphertext)
	}
	keys, active, err := secrets.ParseKeys(w.Cfg.DataKeys)
	if err != nil {
		t.Fatal(err)
	}
	hashKey, _ := base64.StdEncoding.DecodeString(w.Cfg.IDHashKey)
	vault, err := secrets.NewVault(keys, active, hashKey)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := vault.OpenID(sealed); err != nil || plain != "11010519491231002X" {
		t.Errorf("sealed ID opens to %q, %v", plain, err)
	}
	if pw, err := conversationtest.OpenPassword(got.sealed); !got.termOpen || got.flagged || got.typed || err != nil || pw != password {
		t.Errorf("term open %v (edited to 长期), flagged %v, typed %v, sealed password opens to %q (%v)", got.termOpen, got.flagged, got.typed, pw, err)
	}
	rows, err := conn.Query(ctx, `SELECT account_number, metering_point_id, name, address, voltage_code, tariff_category, unit_type, high_energy
		FROM units ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for rows.Next() {
		var a, id, n, addr, v, tariff, ut, he string
		if err := rows.Scan(&a, &id, &n, &addr, &v, &tariff, &ut, &he); err != nil {
			t.Fatal(err)
		}
		if n == "" || addr == "" || v == "" || tariff == "" {
			t.Errorf("unit %s lacks data taken from its metering point", id)
		}
		units = append(units, strings.Join([]string{a, id, ut, he}, " "))
	}
	wantUnits := []string{
		"5000000001 5000000001001 large_industrial 31",
		"5000000001 5000000001002 commercial_industrial_two_part none",
		"5000000002 5000000002002 general_commercial_industrial 30",
	}
	if strings.Join(units, "\n") != strings.Join(wantUnits, "\n") {
		t.Errorf("units:\n%s\nwant:\n%s", strings.Join(units, "\n"), strings.Join(wantUnits, "\n"))
	}
	var atts []string
	rows, _ = conn.Query(ctx, `SELECT kind || ' ' || file_name FROM attachments ORDER BY position`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		atts = append(atts, s)
	}
	if strings.Join(atts, ",") != "catalog 准入目录.pdf,licence 营业执照.pdf" {
		t.Errorf("attachments = %v", atts)
	}

	// Another enterprise querying the same account sees those points taken.
	other := telegramtest.Chat{ID: 5002, UserID: 5002, FirstName: "另一家"}
	w.User = other
	w.Say("/start", "注册助手")
	w.Press("开始注册", "注册须知")
	w.Press("我已阅读注册须知并同意条款", "市场成员类型")
	w.Press("电力用户", "关键词")
	w.Say("江北精工", "找到 1 家企业")
	w.Press("重庆江北精工机械有限公司", "登录名")
	w.Press("cqjbjg", "用户名")
	w.Press("交易员", "身份证号码")
	w.Say("500103197001010011", "密码")
	w.Say("Jb#2026pass", "再次输入密码")
	w.Say("Jb#2026pass", "统一社会信用代码：91500105MA5UGC5M5E（取自准入目录") // shown, not asked
	for _, step := range [][2]string{
		{"张三", "注册资本"}, {"100", "成立日期"}, {"2015-01-01", "营业期限"},
	} {
		w.Say(step[0], step[1])
	}
	w.Press("长期", "所属行业")
	w.Say("机械", "用户类型")
	w.Press("直接交易用户", "确认吗")
	w.Press("确认", "地理区域")
	w.Press("江北区", "注册地址")
	for _, step := range [][2]string{
		{"重庆市江北区某某路8号", "开户银行"}, {"工商银行", "开户名称"}, {"重庆江北精工机械有限公司", "银行账号"},
		{"123456789", "联系人姓名"}, {"李四", "职务"}, {"经理", "手机号"}, {"13800138000", "电子邮箱"},
		{"a@b.cn", "办公电话"},
	} {
		w.Say(step[0], step[1])
	}
	w.Press("跳过", "传真")
	w.Press("跳过", "通信地址")
	w.Press("同注册地址", "邮政编码")
	w.Say("400020", "准入目录文件")
	w.Document("c.pdf", conversationtest.PDF("c"), "营业执照")
	w.Document("l.pdf", conversationtest.PDF("l"), "营销户号")
	w.Say("5000000001", "查询密码")
	w.Say("123456", "已被其他注册申请使用")
	m, _ := w.TG.LastMessage(other.ID)
	if !strings.Contains(Shown(m), "⛔ 5000000001001") || !strings.Contains(Shown(m), "☐ 5000000001003") {
		t.Errorf("taken points not marked:\n%s", Shown(m))
	}
}
