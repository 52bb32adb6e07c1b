package conversation_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
)

const webAppURL = "https://bot.example.com/webapp/"

// answerBasicEntry answers the first question of 基本信息 the chat asks:
// the credit code (the catalog's), or the legal representative's name
// where the catalog's code is taken without asking.
func (h *harness) answerBasicEntry() {
	h.t.Helper()
	if h.state() == conversation.StCreditCode {
		h.press(validUSCC)
		return
	}
	h.expectState(conversation.StLegalRep)
	h.text("张三")
}

// formButton returns the web_app button of the replies, if any.
func formButton(rs []conversation.Reply) (conversation.Button, bool) {
	for _, r := range rs {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.WebAppURL != "" {
					return b, true
				}
			}
		}
	}
	return conversation.Button{}, false
}

// fullForm is every field of the form filled in as a page would send it,
// with the bases the page was given (form).
func fullForm(form conversation.Form) conversation.FormInput {
	in := conversation.FormInput{
		Values: map[domain.Field]string{
			domain.FieldLoginName:         "cqmmjx01",
			domain.FieldUserName:          "重庆某某交易员",
			domain.FieldLegalRepID:        validID,
			domain.FieldPassword:          platformPW,
			domain.FieldCreditCode:        validUSCC,
			domain.FieldLegalRepName:      "张三",
			domain.FieldRegisteredCapital: "500",
			domain.FieldFoundedOn:         "2010-05-20",
			domain.FieldBusinessTerm:      domain.BusinessTermOpenValue,
			domain.FieldIndustry:          "通用设备制造业",
			domain.FieldUserType:          string(domain.UserDirect),
			domain.FieldRegion:            "500112",
			domain.FieldRegisteredAddress: "重庆市渝北区某某路1号",
			domain.FieldBankName:          "中国工商银行重庆渝北支行",
			domain.FieldBankAccountName:   testCatalog,
			domain.FieldBankAccountNumber: "3100021109024412345",
			domain.FieldContactPerson:     "李四",
			domain.FieldContactPosition:   "能源主管",
			domain.FieldMobile:            "138 0013 8000",
			domain.FieldEmail:             "lisi@example.com",
			domain.FieldLandline:          "023-63001234",
			domain.FieldFax:               "",
			domain.FieldMailingAddress:    "重庆市渝北区某某路1号",
			domain.FieldPostcode:          "401120",
		},
		Base:    map[domain.Field]string{},
		Again:   map[domain.Field]string{domain.FieldPassword: platformPW},
		Confirm: []domain.Field{domain.FieldUserType},
	}
	for _, sec := range form.Sections {
		for _, f := range sec.Fields {
			in.Base[f.Field] = f.Value
		}
	}
	return in
}

func (h *harness) form() conversation.Form {
	h.t.Helper()
	f, err := h.e.Form(context.Background(), chatID)
	if err != nil {
		h.t.Fatalf("Form: %v", err)
	}
	return f
}

func (h *harness) saveForm(in conversation.FormInput) (conversation.FormResult, []conversation.Reply) {
	h.t.Helper()
	res, out, err := h.e.SaveForm(context.Background(), chatID, in)
	if err != nil {
		h.t.Fatalf("SaveForm: %v", err)
	}
	return res, out
}

func formField(f conversation.Form, field domain.Field) (conversation.FormField, bool) {
	for _, sec := range f.Sections {
		for _, ff := range sec.Fields {
			if ff.Field == field {
				return ff, true
			}
		}
	}
	return conversation.FormField{}, false
}

// TestFormOffered: the login name's question and the first question of
// 基本信息 offer the form, when it has an address; no other question does,
// nor a question reached from the summary to change one answer.
func TestFormOffered(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h.toLogin()
	b, ok := formButton(h.last)
	if !ok || b.WebAppURL != webAppURL || b.Text != "📝 用表单填写" {
		t.Fatalf("the login question offers no form: %+v", h.last)
	}
	h.press("cqmmjxzzyxgs")
	if _, ok := formButton(h.last); ok {
		t.Error("the user name's question offers the form")
	}
	h.press("交易员")
	h.text(validID)
	h.text(platformPW)
	h.text(platformPW)
	// The first question of 基本信息 that is asked: the credit code, or
	// the legal representative when the catalog gives the code.
	if _, ok := formButton(h.last); !ok {
		t.Errorf("the first question of 基本信息 (%s) offers no form", h.state())
	}
	h.cmd("help") // asked again: still offered
	if _, ok := formButton(h.last); !ok {
		t.Errorf("the first question of 基本信息 (%s) asked again offers no form", h.state())
	}
	h.answerBasicEntry()
	if _, ok := formButton(h.last); ok {
		t.Errorf("the next question (%s) offers the form", h.state())
	}

	plain := newHarness(t, conversation.Config{})
	plain.toLogin()
	if _, ok := formButton(plain.last); ok {
		t.Error("a form without an address is offered")
	}
}

// TestFormPrefilled: the form shows the draft and the chat's suggestions;
// the catalog's credit code is shown read-only, with what it gives.
func TestFormPrefilled(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h.toLogin()
	f := h.form()
	if f.Closed != "" || f.Lang != conversation.LangZH || !strings.Contains(f.Intro, testCatalog) {
		t.Fatalf("form = %+v", f)
	}
	var names []string
	for _, s := range f.Sections {
		names = append(names, s.Name)
	}
	if want := []string{"账号信息", "基本信息", "商务信息", "联系信息"}; !slices.Equal(names, want) {
		t.Errorf("sections %v, want %v", names, want)
	}
	check := func(field domain.Field, want func(conversation.FormField) bool) {
		t.Helper()
		ff, ok := formField(f, field)
		if !ok || !want(ff) {
			t.Errorf("field %s = %+v", field, ff)
		}
	}
	check(domain.FieldEnterpriseName, func(ff conversation.FormField) bool { return ff.ReadOnly && ff.Value == testCatalog })
	check(domain.FieldLoginName, func(ff conversation.FormField) bool {
		return ff.Suggest == "cqmmjxzzyxgs" && ff.Autocomplete == "username" && ff.Required
	})
	check(domain.FieldUserName, func(ff conversation.FormField) bool {
		return ff.Suggest == "重庆某某机械制造有限公司交易员"
	})
	check(domain.FieldCreditCode, func(ff conversation.FormField) bool {
		return ff.ReadOnly && ff.Value == validUSCC && len(ff.Derived) == 2 && ff.Derived[0].Value == "MA0000015"
	})
	check(domain.FieldRegion, func(ff conversation.FormField) bool {
		return len(ff.Options) == len(regions) && ff.Options[0].Group == "重庆市" && ff.Kind == conversation.KindSelect
	})
	check(domain.FieldUserType, func(ff conversation.FormField) bool {
		return len(ff.Options) == 2 && strings.Contains(ff.Hint, "直接交易用户")
	})
	check(domain.FieldMobile, func(ff conversation.FormField) bool {
		return ff.Autocomplete == "tel-national" && ff.InputMode == "tel"
	})
	check(domain.FieldEmail, func(ff conversation.FormField) bool { return ff.Autocomplete == "email" })
	check(domain.FieldRegisteredAddress, func(ff conversation.FormField) bool { return ff.Autocomplete == "street-address" })
	check(domain.FieldFax, func(ff conversation.FormField) bool { return !ff.Required })
	check(domain.FieldLegalRepID, func(ff conversation.FormField) bool { return ff.Kind == conversation.KindSecret && ff.Value == "" })
	if f.Texts["save"] != "保存" {
		t.Errorf("texts %v", f.Texts)
	}

	h.cmd("lang")
	if f := h.form(); f.Lang != conversation.LangEN || f.Texts["save"] != "Save" || f.Sections[0].Name != "Account" {
		t.Errorf("English form: %+v", f.Sections[0].Name)
	}
}

// TestFormClosed: no form without a draft, before the enterprise is
// chosen, or once submitted.
func TestFormClosed(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	if f := h.form(); !strings.Contains(f.Closed, "/start") || len(f.Sections) > 0 {
		t.Errorf("no draft: %+v", f)
	}
	h.cmd("start")
	h.press("开始注册")
	if f := h.form(); !strings.Contains(f.Closed, "先在聊天中选择企业") {
		t.Errorf("before the enterprise: %+v", f)
	}
	res, out := h.saveForm(conversation.FormInput{Values: map[domain.Field]string{domain.FieldLegalRepName: "张三"}})
	if res.Saved || res.Closed == "" || out != nil || h.session().App.Basic.LegalRepName != "" {
		t.Errorf("a save before the enterprise: %+v", res)
	}
	h2 := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h2.register()
	h2.press("提交")
	if f := h2.form(); !strings.Contains(f.Closed, "已提交") {
		t.Errorf("submitted: %+v", f)
	}
}

// TestFormSave fills the whole form at the login question: an invalid
// mobile number is refused with the chat's text and the user type waits
// for its confirmation, with nothing written; then the save writes every
// field, tells the chat what it set and asks the next question, and /back
// returns to the form's part.
func TestFormSave(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h.toLogin()
	in := fullForm(h.form())
	in.Values[domain.FieldMobile] = "1380013800"
	in.Confirm = nil
	before := h.session()
	res, out := h.saveForm(in)
	if res.Saved || out != nil {
		t.Fatalf("saved with an invalid mobile: %+v", res)
	}
	if got := res.Errors[domain.FieldMobile]; got != "手机号应为 11 位数字，您输入了 10 位。" {
		t.Errorf("mobile's error = %q", got)
	}
	if q := res.Confirm[domain.FieldUserType]; !strings.Contains(q, "您选择的是“直接交易用户”，确认吗？") {
		t.Errorf("user type's confirmation = %q", q)
	}
	if len(res.Errors) != 1 || len(res.Missing) != 0 {
		t.Errorf("errors %v, missing %v", res.Errors, res.Missing)
	}
	if after := h.session(); after.Version != before.Version || after.State != conversation.StLogin {
		t.Fatalf("a refused save wrote the draft: version %d → %d", before.Version, after.Version)
	}
	check, err := h.e.CheckForm(context.Background(), chatID, in)
	if err != nil || check.Errors[domain.FieldMobile] == "" || check.Saved {
		t.Errorf("CheckForm = %+v, %v", check, err)
	}

	in.Values[domain.FieldMobile] = "138 0013 8000"
	in.Confirm = []domain.Field{domain.FieldUserType}
	res, out = h.saveForm(in)
	if !res.Saved || len(res.Errors) > 0 || len(res.Confirm) > 0 {
		t.Fatalf("save refused: %+v", res)
	}
	s := h.session()
	a := s.App
	for f, want := range map[domain.Field]string{
		domain.FieldLoginName: "cqmmjx01", domain.FieldUserName: "重庆某某交易员", domain.FieldCreditCode: validUSCC,
		domain.FieldLegalRepName: "张三", domain.FieldRegisteredCapital: "500", domain.FieldFoundedOn: "2010-05-20",
		domain.FieldBusinessTerm: "open", domain.FieldIndustry: "通用设备制造业", domain.FieldUserType: "direct",
		domain.FieldRegion: "500112", domain.FieldRegisteredAddress: "重庆市渝北区某某路1号",
		domain.FieldBankName: "中国工商银行重庆渝北支行", domain.FieldBankAccountName: testCatalog,
		domain.FieldBankAccountNumber: "3100021109024412345", domain.FieldContactPerson: "李四",
		domain.FieldContactPosition: "能源主管", domain.FieldMobile: "13800138000", domain.FieldEmail: "lisi@example.com",
		domain.FieldLandline: "023-63001234", domain.FieldFax: "", domain.FieldMailingAddress: "重庆市渝北区某某路1号",
		domain.FieldPostcode: "401120", domain.FieldLegalRepID: "500***********0011",
	} {
		if got := a.Value(f); got != want {
			t.Errorf("draft %s = %q, want %q", f, got, want)
		}
	}
	if pw, err := conversationtest.OpenPassword(a.Account.SealedPassword); err != nil || pw != platformPW {
		t.Errorf("sealed password opens to %q, %v", pw, err)
	}
	if s.Scratch.Pending != "" || len(s.Scratch.Sealed) > 0 {
		t.Error("the password's digest outlived the save")
	}
	if s.State != conversation.StAttCatalog {
		t.Fatalf("state after the save = %s, want %s", s.State, conversation.StAttCatalog)
	}
	if len(out) != 2 || !strings.HasPrefix(out[0].Text, "✅ 已通过表单保存 23 项：") || !strings.Contains(out[0].Text, "手机：13800138000") ||
		!strings.Contains(out[0].Text, "法定代表人身份证号码：500***********0011") || strings.Contains(out[0].Text, validID) ||
		!strings.Contains(out[1].Text, "准入目录文件") {
		t.Fatalf("replies %s", texts(out))
	}
	h.cmd("back")
	h.expectState(conversation.StLogin)
	if _, ok := formButton(h.last); !ok {
		t.Error("/back after the save: the form is not offered")
	}
}

// TestFormRefusals: each value is refused as the chat refuses it, with
// its text; rules between fields hold for the whole form.
func TestFormRefusals(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h.toLogin()
	for _, c := range []struct {
		field domain.Field
		value string
		again string
		want  string
	}{
		{domain.FieldFoundedOn, "2030-01-01", "", "成立日期不能晚于今天。"},
		{domain.FieldBusinessTerm, "2009-01-01", "", "营业期限不能早于成立日期。"},
		{domain.FieldPassword, platformPW, "Other#2024x", "两次输入的密码不一致，请重新设置。"},
		{domain.FieldPassword, platformPW, "", "请再次输入密码以确认。"},
		{domain.FieldLegalRepID, "500103197001010010", "", "校验位"},
		{domain.FieldEmail, "lisi@", "", "@"},
		{domain.FieldRegion, "999999", "", ""},
	} {
		in := fullForm(h.form())
		in.Values[c.field] = c.value
		if c.field == domain.FieldPassword {
			in.Again[c.field] = c.again
		}
		res, out := h.saveForm(in)
		got := res.Errors[c.field]
		if res.Saved || out != nil || got == "" || !strings.Contains(got, c.want) {
			t.Errorf("%s = %q: saved %v, error %q, want %q", c.field, c.value, res.Saved, got, c.want)
		}
	}
	// A rule between fields holds for the draft's answers too: an earlier
	// founding date's business term, unchanged on the page, against a new
	// founding date.
	in := fullForm(h.form())
	in.Values[domain.FieldBusinessTerm] = "2020-01-01"
	if res, _ := h.saveForm(in); !res.Saved {
		t.Fatalf("save: %+v", res)
	}
	h.cmd("back")
	in = fullForm(h.form())
	in.Values[domain.FieldBusinessTerm] = "2020-01-01"
	in.Values[domain.FieldFoundedOn] = "2021-03-01"
	res, _ := h.saveForm(in)
	if res.Saved || res.Errors[domain.FieldBusinessTerm] != "营业期限不能早于成立日期。" {
		t.Errorf("a term before the new founding date: saved %v, errors %v", res.Saved, res.Errors)
	}

	// Required fields left empty: refused, nothing written.
	h2 := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h2.toLogin()
	in = fullForm(h2.form())
	delete(in.Values, domain.FieldPostcode)
	in.Values[domain.FieldContactPerson] = ""
	res, _ = h2.saveForm(in)
	if res.Saved || !slices.Equal(res.Missing, []domain.Field{domain.FieldContactPerson, domain.FieldPostcode}) {
		t.Errorf("missing = %v", res.Missing)
	}
	if h2.session().App.Basic.LegalRepName != "" {
		t.Error("a refused save wrote the draft")
	}
}

// TestFormAndChatRace: a form save and a chat answer on the same draft lose
// nothing, whichever comes first and also when the chat's write lands
// between the form's read and its write (the compare-and-set retries the
// form on the chat's draft). A field answered on both sides keeps the
// later answer, and the other side is told.
func TestFormAndChatRace(t *testing.T) {
	// The chat has gone back to the legal representative's name (王五)
	// and the applicant types 张三 there while the form, opened before,
	// saves everything else.
	setup := func(t *testing.T) (*harness, conversation.FormInput) {
		h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
		h.toLogin()
		in := fullForm(h.form())
		in.Values[domain.FieldLegalRepName] = "王五"
		if res, _ := h.saveForm(in); !res.Saved {
			t.Fatalf("first save: %+v", res)
		}
		h.cmd("back") // to the login question
		h.expectState(conversation.StLogin)
		// Back to the legal representative through the chat's questions.
		h.press("cqmmjx01")
		h.press("重庆某某交易员")
		h.text(validID)
		h.text(platformPW)
		h.text(platformPW)
		if h.state() == conversation.StCreditCode { // unless the catalog's code is taken without asking
			h.press(validUSCC)
		}
		h.expectState(conversation.StLegalRep)
		in = fullForm(h.form())
		in.Values[domain.FieldLegalRepName] = "王五" // as loaded: not changed on the page
		in.Values[domain.FieldIndustry] = "金属制品业"
		in.Values[domain.FieldPostcode] = "400010"
		return h, in
	}
	check := func(t *testing.T, h *harness, res conversation.FormResult) {
		t.Helper()
		a := h.session().App
		if a.Basic.LegalRepName != "张三" || a.Basic.Industry != "金属制品业" || a.Contact.Postcode != "400010" {
			t.Errorf("lost an answer: legal rep %q, industry %q, postcode %q", a.Basic.LegalRepName, a.Basic.Industry, a.Contact.Postcode)
		}
		if !res.Saved {
			t.Errorf("form not saved: %+v", res)
		}
	}

	t.Run("chat first", func(t *testing.T) {
		h, in := setup(t)
		h.text("张三")
		h.expectState(conversation.StCapital)
		res, out := h.saveForm(in)
		check(t, h, res)
		if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "已保留聊天中的回答：法定代表人") || !says(out, "已保留聊天中的回答") {
			t.Errorf("the form is not told of the chat's answer: %v", res.Notes)
		}
		// The chat was at a question the form changed (capital: unchanged
		// value, so it stays there and returns past the form after it).
		h.expectState(conversation.StCapital)
	})
	t.Run("form first", func(t *testing.T) {
		h, in := setup(t)
		res, out := h.saveForm(in)
		// The form left the chat's question alone: it stays, and the
		// answer typed for it lands there.
		h.expectState(conversation.StLegalRep)
		if !says(out, "法定代表人") {
			t.Errorf("the chat's question is not asked again: %s", texts(out))
		}
		h.text("张三")
		check(t, h, res)
		h.expectState(conversation.StAttCatalog)
	})
	t.Run("chat between the form's read and write", func(t *testing.T) {
		h, in := setup(t)
		interleaved := false
		h.sessions.BeforeSave = func(int64) {
			if interleaved {
				return
			}
			interleaved = true
			h.text("张三") // its own save runs the hook again: a no-op now
		}
		res, _ := h.saveForm(in)
		h.sessions.BeforeSave = nil
		if !interleaved {
			t.Fatal("the chat's answer did not interleave")
		}
		check(t, h, res)
		if len(res.Notes) != 1 {
			t.Errorf("notes %v", res.Notes)
		}
	})
	t.Run("same field, form later", func(t *testing.T) {
		h, in := setup(t)
		h.text("张三")
		in.Values[domain.FieldLegalRepName] = "李四"
		res, out := h.saveForm(in)
		if got := h.session().App.Basic.LegalRepName; got != "李四" || !res.Saved {
			t.Errorf("legal rep = %q, want the form's later 李四", got)
		}
		if !says(out, "已由表单中后填写的值替换：法定代表人") {
			t.Errorf("the chat is not told its answer was replaced: %s", texts(out))
		}
	})
	t.Run("same field, chat later", func(t *testing.T) {
		h, in := setup(t)
		in.Values[domain.FieldLegalRepName] = "李四"
		res, _ := h.saveForm(in)
		if !res.Saved {
			t.Fatal(res)
		}
		h.expectState(conversation.StAttCatalog)
		h.cmd("back")
		h.expectState(conversation.StLegalRep)
		h.text("张三")
		if got := h.session().App.Basic.LegalRepName; got != "张三" {
			t.Errorf("legal rep = %q, want the chat's later 张三", got)
		}
		// The page, saved again, takes what it saved as its bases (as the
		// page does): the chat's later answer stays, and the page is told.
		for f, v := range res.Values {
			in.Base[f] = v
		}
		in.Values[domain.FieldLegalRepID], in.Values[domain.FieldPassword] = "", ""
		res, _ = h.saveForm(in)
		if got := h.session().App.Basic.LegalRepName; got != "张三" || len(res.Notes) != 1 {
			t.Errorf("legal rep = %q after the page's second save, notes %v", got, res.Notes)
		}
	})
}

// TestFormSecretsKept: a form saved without the ID number and the password
// keeps those the chat took, and the page never sees them.
func TestFormSecretsKept(t *testing.T) {
	h := newHarness(t, conversation.Config{WebAppURL: webAppURL})
	h.register()
	before := h.session().App
	f := h.form()
	id, _ := formField(f, domain.FieldLegalRepID)
	pw, _ := formField(f, domain.FieldPassword)
	if id.Value != "" || id.Masked != "500***********0011" || pw.Value != "" || pw.Masked == "" {
		t.Fatalf("secrets shown: %+v %+v", id, pw)
	}
	in := fullForm(f)
	in.Values[domain.FieldLegalRepID], in.Values[domain.FieldPassword] = "", ""
	in.Again = nil
	in.Values[domain.FieldLoginName] = before.Account.LoginName
	in.Values[domain.FieldUserName] = before.Account.UserName
	res, out := h.saveForm(in)
	if !res.Saved {
		t.Fatalf("%+v", res)
	}
	after := h.session().App
	if string(after.Account.SealedPassword) != string(before.Account.SealedPassword) ||
		string(after.Account.LegalRepID.Ciphertext) != string(before.Account.LegalRepID.Ciphertext) {
		t.Error("the secrets changed")
	}
	// From the summary the chat stays at the summary, shown again.
	h.expectState(conversation.StSummary)
	if !says(out, "注册信息汇总") {
		t.Errorf("replies %s", texts(out))
	}
}
