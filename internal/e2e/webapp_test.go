package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/bot/webapp"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

var screenshots = flag.String("webapp.screenshots", "", "write the Mini App form's screenshots (zh, 360×640) into this directory (docs/)")

// page drives the form in the browser; every step fails the test on error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

// until waits, without polling on a timer, for a JavaScript condition to
// hold: it is checked again at every change of the page's DOM.
func (p page) until(cond string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingMutation(),
		chromedp.WithPollingTimeout(WaitTime))); err != nil {
		text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		p.t.Fatalf("the page never showed %s: %v\npage: %s", cond, err, text)
	}
}

// text returns an element's text.
func (p page) text(id string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.getElementById(%q) || {}).textContent || ""`, id)))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// typeIn replaces a text field's value by typing, then leaves the field,
// which asks the server to check it.
func (p page) typeIn(field, value string) {
	p.t.Helper()
	sel := chromedp.ID("f_" + field)
	p.center("#f_" + field)
	p.eval(fmt.Sprintf(`document.getElementById(%q).value = ''`, "f_"+field)) // what was typed or suggested before
	p.do(chromedp.SendKeys(sel, value), chromedp.Blur(sel))
}

// set gives a date or a drop-down its value, as a picker would, then
// leaves it.
func (p page) set(field, value string) {
	p.t.Helper()
	sel := chromedp.ID("f_" + field)
	p.center("#f_" + field)
	p.do(chromedp.Focus(sel), chromedp.SetValue(sel, value), chromedp.Blur(sel))
}

// eval runs JavaScript in the page.
func (p page) eval(js string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](js)); err != nil {
		p.t.Fatal(err)
	}
}

// center scrolls the element a CSS selector names to the middle of the
// viewport, clear of the fixed save bar at the bottom.
func (p page) center(css string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(e => { e.scrollIntoView({block: 'center'}); return true })(document.querySelector(%q))`, css))); err != nil {
		p.t.Fatal(err)
	}
}

// click clicks the element a CSS selector names, as a finger would.
func (p page) click(css string) {
	p.t.Helper()
	p.center(css)
	p.do(chromedp.Click(chromedp.CSS(css)))
}

// shot writes a screenshot of the viewport (360×640) when asked to.
func (p page) shot(name string) {
	p.t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// webAppWorld boots a World with the form and the sample catalog, its user
// at the login name's question, where the chat offers the form.
func webAppWorld(t *testing.T) (*World, *int) {
	t.Helper()
	w := NewWorld(t)
	w.UseWebApp()
	w.Boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}
	trips := 0
	say := func(text, want string) { trips++; w.Say(text, want) }
	press := func(label, want string) { trips++; w.Press(label, want) }
	say("/start", "注册助手")
	press("开始注册", "注册须知")
	press("我已阅读注册须知并同意条款", "市场成员类型")
	press("电力用户", "关键词")
	say("渝新机械", "找到 1 家企业")
	press("重庆渝新机械制造有限公司", "登录名")
	return w, &trips
}

// TestMiniAppForm opens the form from the chat in headless Chromium at a
// phone's size, fills in every field (an invalid mobile number first,
// refused at the field with the chat's own text; the user type confirmed),
// saves, and checks the draft in Redis and the chat's next question on the
// fake Telegram; then finishes the registration in the chat and counts its
// round trips: at most 20 through the form.
func TestMiniAppForm(t *testing.T) {
	w, trips := webAppWorld(t)
	m, b := w.Button(w.User.ID, "用表单填写")
	if b.WebAppURL != WebAppURL || b.Data != "" {
		t.Fatalf("the login question's form button: %+v", b)
	}
	if len(m.Buttons) < 2 {
		t.Errorf("the form is offered instead of the question's suggestion, not beside it: %+v", m.Buttons)
	}

	p := page{t, NewBrowser(t, 360, 640)}
	p.do(chromedp.Navigate(w.FormLink(w.User.UserID)))
	p.until(`document.getElementById('app').dataset.ready === 'true'`)
	if title := p.text("app"); !strings.Contains(title, "注册信息表单") || !strings.Contains(title, "重庆渝新机械制造有限公司") {
		t.Fatalf("form page: %s", title)
	}
	// Prefilled: the chat's suggestions, the catalog's credit code and what it gives.
	if v, _ := chromedp.Run(p.ctx, chromedp.Value(chromedp.ID("f_login_name"))); v != "cqyxjxzzyxgs" {
		t.Errorf("login name prefilled with %q", v)
	}
	if got := p.text("field_credit_code"); !strings.Contains(got, "91500103MA5UAEH71T") || !strings.Contains(got, "MA5UAEH71") {
		t.Errorf("credit code: %q", got)
	}
	p.shot("miniapp-1-form.png")

	// A wrong value first: refused at its field with the chat's text.
	p.typeIn("mobile", "1380013800")
	p.until(`document.getElementById('err_mobile').textContent === '手机号应为 11 位数字，您输入了 10 位。'`)
	p.shot("miniapp-2-error.png")
	if inv, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById('f_mobile').getAttribute('aria-invalid')`)); inv != "true" {
		t.Errorf("the refused field is not marked invalid: %q", inv)
	}

	p.typeIn("login_name", "cqyxjx2026")
	p.typeIn("user_name", "重庆渝新交易员")
	p.typeIn("legal_rep_id", "11010519491231002x")
	p.typeIn("password", "Yx#2026pass")
	p.do(chromedp.SendKeys(chromedp.ID("f_password_again"), "Yx#2026pass"), chromedp.Blur(chromedp.ID("f_password_again")))
	p.typeIn("legal_rep_name", "王五")
	p.typeIn("registered_capital", "1200.5")
	p.set("founded_on", "2008-03-18")
	p.click("#f_business_term_open")
	p.typeIn("industry", "通用设备制造业")
	p.click(`#f_user_type input[value="retail"]`)
	// The costly choice is confirmed with the chat's own question.
	p.until(`!document.getElementById('confirm_user_type').hidden`)
	if q := p.text("confirmq_user_type"); !strings.Contains(q, "零售用户") || !strings.Contains(q, "确认吗") {
		t.Errorf("user type's confirmation: %q", q)
	}
	p.shot("miniapp-3-confirm.png")
	p.click("#confirmed_user_type")
	p.set("region", "500103")
	p.typeIn("registered_address", "重庆市渝中区解放碑某某街18号")
	p.typeIn("bank_name", "中国建设银行重庆解放碑支行")
	p.typeIn("bank_account_name", "重庆渝新机械制造有限公司")
	p.typeIn("bank_account_number", "5000 1234 5678 9012")
	p.typeIn("contact_person", "赵六")
	p.typeIn("contact_position", "能源经理")
	p.typeIn("mobile", "199 2345 6789")
	p.until(`document.getElementById('err_mobile').textContent === ''`)
	p.typeIn("email", "zhao6@example.com")
	p.typeIn("landline", "023-63001234")
	p.typeIn("mailing_address", "重庆市渝中区邮政信箱88号")
	p.typeIn("postcode", "400010")

	before := w.Snapshot(w.User.ID)
	p.click("#save")
	p.until(`document.getElementById('app').dataset.saved === 'true'`)
	if got := p.text("notice-text"); !strings.Contains(got, "已保存") {
		t.Errorf("after saving the page shows %q", got)
	}
	p.shot("miniapp-4-saved.png")

	// The chat: what the form set, then the next step's question.
	summary := w.Await(w.User.ID, before, "已通过表单保存")
	if !strings.Contains(summary.Text, "法定代表人：王五") || !strings.Contains(summary.Text, "110***********002X") ||
		strings.Contains(summary.Text, "11010519491231002") || strings.Contains(summary.Text, "Yx#2026pass") {
		t.Errorf("the chat's summary: %s", summary.Text)
	}
	w.Await(w.User.ID, before, "准入目录文件")

	// The draft in Redis.
	d := w.Draft(w.User.ID)
	a := d.App
	for _, c := range []struct{ field, got, want string }{
		{"state", string(d.State), "attcat"},
		{"login name", a.Account.LoginName, "cqyxjx2026"},
		{"user name", a.Account.UserName, "重庆渝新交易员"},
		{"masked ID", a.Account.LegalRepID.Masked, "110***********002X"},
		{"credit code", a.Basic.CreditCode, "91500103MA5UAEH71T"},
		{"legal rep", a.Basic.LegalRepName, "王五"},
		{"capital", a.Basic.RegisteredCapital, "1200.5"},
		{"founded", a.Basic.FoundedOn.Format("2006-01-02"), "2008-03-18"},
		{"industry", a.Basic.Industry, "通用设备制造业"},
		{"user type", string(a.Basic.UserType), "retail"},
		{"region", a.Basic.RegionCode, "500103"},
		{"registered address", a.Basic.RegisteredAddress, "重庆市渝中区解放碑某某街18号"},
		{"bank", a.Business.BankName, "中国建设银行重庆解放碑支行"},
		{"account name", a.Business.AccountName, "重庆渝新机械制造有限公司"},
		{"account number", a.Business.AccountNumber, "5000123456789012"},
		{"contact", a.Contact.Person, "赵六"},
		{"position", a.Contact.Position, "能源经理"},
		{"mobile", a.Contact.Mobile, "19923456789"},
		{"email", a.Contact.Email, "zhao6@example.com"},
		{"landline", a.Contact.Landline, "023-63001234"},
		{"fax", a.Contact.Fax, ""},
		{"mailing address", a.Contact.MailingAddress, "重庆市渝中区邮政信箱88号"},
		{"postcode", a.Contact.Postcode, "400010"},
	} {
		if c.got != c.want {
			t.Errorf("draft %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !a.Basic.BusinessTermOpen {
		t.Error("draft: the business term is not open-ended")
	}
	if pw, err := conversationtest.OpenPassword(a.Account.SealedPassword); err != nil || pw != "Yx#2026pass" {
		t.Errorf("draft: the sealed password opens to %q, %v", pw, err)
	}
	raw := w.rawSession(w.User.ID)
	if strings.Contains(raw, "11010519491231002") || strings.Contains(raw, "Yx#2026pass") {
		t.Error("a secret is in Redis in clear")
	}

	// The rest in the chat, counting its round trips.
	doc := func(name string, data []byte, want string) { *trips++; w.Document(name, data, want) }
	say := func(text, want string) { *trips++; w.Say(text, want) }
	press := func(label, want string) { *trips++; w.Press(label, want) }
	doc("准入目录.pdf", conversationtest.PDF("catalog"), "营业执照")
	doc("licence.pdf", conversationtest.PDF("licence"), "营销户号")
	say("5000000001", "查询密码")
	say("123456", "共有 3 个计量点")
	press("5000000001001", "已选 1 个")
	press("5000000001002", "已选 2 个")
	press("生成用电单元", "用电单元 1/2")
	press("大工业用电", "高耗能行业类别")
	press("黑色金属", "用电单元 2/2")
	press("工商业用电（两部制）", "高耗能行业类别")
	press("非高耗能", "其他营销户号")
	press("没有了", "注册信息汇总")
	press("提交", "已提交")
	t.Logf("a registration through the form took %d chat round trips and one form save", *trips)
	if *trips > 20 {
		t.Errorf("%d chat round trips through the form, want at most 20", *trips)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.Cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var login, legal, mobile, region string
	if err := conn.QueryRow(ctx, `SELECT login_name, legal_rep_name, mobile, region_code FROM applications`).
		Scan(&login, &legal, &mobile, &region); err != nil {
		t.Fatal(err)
	}
	if login != "cqyxjx2026" || legal != "王五" || mobile != "19923456789" || region != "500103" {
		t.Errorf("submitted: %s %s %s %s", login, legal, mobile, region)
	}
}

// rawSession is the chat's session as stored in Redis, JSON and all.
func (w *World) rawSession(chat int64) string {
	w.t.Helper()
	s := w.Draft(chat)
	b, err := json.Marshal(s)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// formCall calls the form's API as the page does.
func formCall(t *testing.T, w *World, method, path, initData, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, w.FormPage()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if initData != "" {
		req.Header.Set("Authorization", "tma "+initData)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

// TestMiniAppRefusesStrangers: launch data that is forged, altered to
// name another user, too old, or signed by another bot gets 401 from every
// endpoint, and the page says so; another user's valid launch data
// reaches only that user's (absent) draft. Nothing changes: not the draft,
// not the chat.
func TestMiniAppRefusesStrangers(t *testing.T) {
	w, _ := webAppWorld(t)
	draft := w.Draft(w.User.ID)
	chat := w.Snapshot(w.User.ID)

	other, _ := url.ParseQuery(w.InitData(5002, time.Now()))
	other.Set("user", fmt.Sprintf(`{"id":%d,"first_name":"x","language_code":"zh-hans"}`, w.User.UserID)) // re-pointed at the applicant
	forged, _ := url.ParseQuery(w.InitData(w.User.UserID, time.Now()))
	forged.Set("hash", strings.Repeat("ab", 32))
	save := `{"values":{"legal_rep_name":"冒名者","mobile":"13800138000"},"base":{}}`
	for name, raw := range map[string]string{
		"no launch data":          "",
		"forged hash":             forged.Encode(),
		"another user's, altered": other.Encode(),
		"stale":                   w.InitData(w.User.UserID, time.Now().Add(-61*time.Minute)),
		"another bot's":           webapp.Sign(webapp.UserFields(w.User.UserID, "zh", time.Now()), "999:ANOTHER-BOT"),
	} {
		for _, ep := range []struct{ method, path, body string }{{"GET", "api/form", ""}, {"POST", "api/check", save}, {"POST", "api/save", save}} {
			if code, body := formCall(t, w, ep.method, ep.path, raw, ep.body); code != http.StatusUnauthorized ||
				!strings.Contains(fmt.Sprint(body["error"]), "无法确认您的身份") {
				t.Errorf("%s, %s: %d %v", name, ep.path, code, body)
			}
		}
	}
	// Another user, genuinely: their own chat has no draft, and the
	// applicant's is out of reach.
	stranger := w.InitData(5002, time.Now())
	if code, body := formCall(t, w, "POST", "api/save", stranger, save); code != http.StatusConflict ||
		!strings.Contains(fmt.Sprint(body["closed"]), "没有进行中的注册") {
		t.Errorf("another user's save: %d %v", code, body)
	}

	// The page with stale launch data says why it shows nothing.
	p := page{t, NewBrowser(t, 360, 640)}
	p.do(chromedp.Navigate(webapp.Link(w.FormPage(), w.InitData(w.User.UserID, time.Now().Add(-2*time.Hour)))))
	p.until(`document.getElementById('app').dataset.refused === '401'`)
	if got := p.text("notice-text"); !strings.Contains(got, "重新点击“用表单填写”") {
		t.Errorf("refused page: %q", got)
	}

	if after := w.Draft(w.User.ID); after.Version != draft.Version || after.App.Basic.LegalRepName != "" {
		t.Errorf("the draft changed: version %d → %d", draft.Version, after.Version)
	}
	for _, m := range w.TG.Messages(w.User.ID) {
		if old, ok := chat[m.ID]; !ok || old != Shown(m) {
			t.Errorf("the chat changed: %q", m.Text)
		}
	}
}

// TestMiniAppRacesTheChat: the applicant types an answer in the chat while
// the form saves, on the same draft, with real Redis; each round's two
// writes race for the session's compare-and-set. Whichever lands first,
// nothing is lost: the chat's login name and the form's industry and
// postcode are all in the draft.
func TestMiniAppRacesTheChat(t *testing.T) {
	w, _ := webAppWorld(t)
	id := w.InitData(w.User.UserID, time.Now())
	// Everything through the form first.
	code, form := formCall(t, w, "GET", "api/form", id, "")
	if code != 200 {
		t.Fatalf("form: %d %v", code, form)
	}
	values := map[string]string{
		"login_name": "cqyxjx2026", "user_name": "重庆渝新交易员", "legal_rep_id": "11010519491231002x", "password": "Yx#2026pass",
		"legal_rep_name": "王五", "registered_capital": "1200.5", "founded_on": "2008-03-18", "business_term": "open",
		"industry": "通用设备制造业", "user_type": "retail", "region": "500103", "registered_address": "重庆市渝中区解放碑某某街18号",
		"bank_name": "中国建设银行重庆解放碑支行", "bank_account_name": "重庆渝新机械制造有限公司", "bank_account_number": "5000123456789012",
		"contact_person": "赵六", "contact_position": "能源经理", "mobile": "19923456789", "email": "zhao6@example.com",
		"landline": "", "fax": "", "mailing_address": "重庆市渝中区邮政信箱88号", "postcode": "400010",
	}
	body := func(base map[string]string) string {
		b, _ := json.Marshal(map[string]any{"values": values, "base": base, "again": map[string]string{"password": values["password"]},
			"confirm": []string{"user_type"}})
		return string(b)
	}
	before := w.Snapshot(w.User.ID)
	if code, res := formCall(t, w, "POST", "api/save", id, body(map[string]string{})); code != 200 {
		t.Fatalf("first save: %d %v", code, res)
	}
	w.Await(w.User.ID, before, "准入目录文件")
	w.Say("/back", "登录名") // the chat returns to the form's first question

	for round := range 4 {
		d := w.Draft(w.User.ID)
		base := map[string]string{}
		for k := range values {
			base[k] = d.App.Value(domain.Field(k))
		}
		values["legal_rep_id"] = ""               // kept
		values["login_name"] = base["login_name"] // not changed on the page: the chat answers it
		// The password is typed again each time: a login name changed in
		// the chat may have cleared it (it must not contain the login name,
		// and the bot cannot read the sealed one to check).
		values["industry"] = fmt.Sprintf("行业%d", round)
		values["postcode"] = fmt.Sprintf("40001%d", round)
		login := fmt.Sprintf("cqrace%d", round)
		before := w.Snapshot(w.User.ID)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var saveCode int
		var update int64
		wg.Go(func() {
			<-start
			saveCode, _ = formCall(t, w, "POST", "api/save", id, body(base))
		})
		wg.Go(func() {
			<-start
			update = w.TG.SendText(w.User, login)
		})
		close(start)
		wg.Wait()
		if saveCode != 200 {
			t.Fatalf("round %d: save %d", round, saveCode)
		}
		w.Await(w.User.ID, before, "已通过表单保存")
		if !w.TG.WaitConfirmed(update, WaitTime) { // the chat's answer is handled
			t.Fatalf("round %d: the chat's answer was not handled", round)
		}
		a := w.Draft(w.User.ID).App
		if a.Account.LoginName != login || a.Basic.Industry != values["industry"] || a.Contact.Postcode != values["postcode"] {
			t.Fatalf("round %d lost an answer: login %q (chat said %q), industry %q, postcode %q", round,
				a.Account.LoginName, login, a.Basic.Industry, a.Contact.Postcode)
		}
		// Whichever came first, the chat has moved past the login name:
		// back to it for the next round.
		w.Say("/back", "登录名")
	}
}

// TestMiniAppInTelegram opens the form as Telegram's mobile clients do: a
// webview with TelegramWebviewProxy, the platform and the theme in the
// fragment, and no SDK. The page sets up Telegram's main button as 保存
// instead of its own, takes the theme's colours, saves when the main
// button is pressed and shows why a save was refused.
func TestMiniAppInTelegram(t *testing.T) {
	w, _ := webAppWorld(t)
	p := page{t, NewBrowser(t, 360, 640)}
	// The client's side of the protocol: events the page posts are kept.
	_, err := chromedp.Run(p.ctx, chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__posted = [];
			window.TelegramWebviewProxy = { postEvent: (type, data) => window.__posted.push([type, JSON.parse(data || '{}')]) };`})
		return chromedp.Void{}, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	theme := `{"bg_color":"#17212b","text_color":"#f5f5f5","button_color":"#5288c1","button_text_color":"#ffffff"}`
	link := w.FormPage() + "#" + url.Values{"tgWebAppData": {w.InitData(w.User.UserID, time.Now())}, "tgWebAppVersion": {"8.0"},
		"tgWebAppPlatform": {"android"}, "tgWebAppThemeParams": {theme}}.Encode()
	p.do(chromedp.Navigate(link))
	p.until(`document.getElementById('app').dataset.ready === 'true'`)
	p.until(`window.__posted.some(([t, d]) => t === 'web_app_setup_main_button' && d.is_visible && d.text === '保存' && d.color === '#5288c1')`)
	p.until(`window.__posted.some(([t]) => t === 'web_app_ready')`)
	if bg, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('fieldset')).backgroundColor`)); bg != "rgb(23, 33, 43)" {
		t.Errorf("the theme's background is not used: %q", bg)
	}
	if shown, _ := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!document.getElementById('save').offsetParent`)); shown {
		t.Error("the page shows its own save button inside Telegram")
	}
	// The main button pressed with the form empty: refused, and said why.
	p.eval(`window.Telegram.WebView.receiveEvent('main_button_pressed')`)
	p.until(`document.getElementById('status').textContent.includes('请按提示修改')`)
	p.until(`!document.getElementById('actions').hidden`)
	if got := p.text("err_legal_rep_name"); got != "必填" {
		t.Errorf("an empty required field says %q", got)
	}
}
