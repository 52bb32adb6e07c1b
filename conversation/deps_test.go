package conversation_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// changeOf is one way TestDependencies changes an answer from the summary
// of a complete draft.
type changeOf struct {
	name  string
	from  domain.Field
	setup func(h *harness) // from the summary, before the change (nil: none)
	do    func(h *harness) // from the summary: changes the answer to from
	// derived are the dependents that are worked out again; the others
	// (of dependencies from this field) are asked again.
	derived []domain.Field
	// same marks a change that gives the same answer again: nothing may
	// change, and the applicant is told of nothing.
	same bool
}

// changes are the ways TestDependencies changes each answer some other
// depends on. A dependency whose From has no change here fails the test.
var changes = []changeOf{
	{name: "a catalog enterprise with a code", from: domain.FieldEnterpriseName,
		do: func(h *harness) {
			h.edit(domain.FieldEnterpriseName)
			h.text("某某化工")
			h.press("重庆某某化工有限公司")
		},
		derived: []domain.Field{domain.FieldCreditCode, domain.FieldUserName, domain.FieldBankAccountName}},
	{name: "a catalog enterprise without a code", from: domain.FieldEnterpriseName,
		do: func(h *harness) {
			h.edit(domain.FieldEnterpriseName)
			h.text("长安某某")
			h.press("重庆长安某某零部件有限公司")
		},
		derived: []domain.Field{domain.FieldUserName, domain.FieldBankAccountName}},
	{name: "user and account names of the applicant's own", from: domain.FieldEnterpriseName,
		setup: func(h *harness) {
			h.edit(domain.FieldUserName)
			h.text("重庆某某交易员")
			h.edit(domain.FieldBankAccountName)
			h.text("重庆某某机械公司")
			h.press("确认使用")
		},
		do: func(h *harness) {
			h.edit(domain.FieldEnterpriseName)
			h.text("某某化工")
			h.press("重庆某某化工有限公司")
		},
		derived: []domain.Field{domain.FieldCreditCode}},
	{name: "the same enterprise", from: domain.FieldEnterpriseName, same: true,
		do: func(h *harness) {
			h.edit(domain.FieldEnterpriseName)
			h.text("某某机械")
			h.press(testCatalog)
		}},

	{name: "another login name", from: domain.FieldLoginName,
		do: func(h *harness) {
			h.edit(domain.FieldLoginName)
			h.text("cqmmjx2025")
		}},
	{name: "the same login name", from: domain.FieldLoginName, same: true,
		do: func(h *harness) {
			h.edit(domain.FieldLoginName)
			h.pressData("login|v:cqmmjxzzyxgs") // offered as the earlier answer and the suggestion
		}},

	{name: "founded after the term ends", from: domain.FieldFoundedOn,
		setup: func(h *harness) {
			h.edit(domain.FieldBusinessTerm)
			h.text("2012-01-01")
		},
		do: func(h *harness) {
			h.edit(domain.FieldFoundedOn)
			h.text("2015-03-01")
		}},
	{name: "the same founding date", from: domain.FieldFoundedOn, same: true,
		do: func(h *harness) {
			h.edit(domain.FieldFoundedOn)
			h.text("2010-05-20")
		}},

	{name: "retail instead of direct", from: domain.FieldUserType,
		do: func(h *harness) {
			h.edit(domain.FieldUserType)
			h.press("零售用户")
			h.press("确认")
		},
		derived: []domain.Field{domain.FieldCertificate}},
	{name: "the same user type", from: domain.FieldUserType, same: true,
		do: func(h *harness) {
			h.edit(domain.FieldUserType)
			h.press("直接交易用户")
			h.press("确认")
		}},

	{name: "another registered address", from: domain.FieldRegisteredAddress,
		do: func(h *harness) {
			h.edit(domain.FieldRegisteredAddress)
			h.text("重庆市渝北区新南路2号")
		},
		derived: []domain.Field{domain.FieldMailingAddress}},
	{name: "the same registered address", from: domain.FieldRegisteredAddress, same: true,
		do: func(h *harness) {
			h.edit(domain.FieldRegisteredAddress)
			h.press("沿用")
		}},

	{name: "another marketing account", from: domain.FieldAccountNumber,
		do: func(h *harness) {
			h.press("修改")
			h.press("用电单元")
			h.press("更换户号 " + account1)
			h.text(account2)
		}},
	{name: "the same marketing account", from: domain.FieldAccountNumber, same: true,
		do: func(h *harness) {
			h.press("修改")
			h.press("用电单元")
			h.press("更换户号 " + account1)
			h.text(account1)
			h.text(queryPW)
			h.press("9000000101")
			h.press("9000000103")
			h.press("生成用电单元")
			h.press("大工业用电")
			h.press("非高耗能")
			h.press("一般工商业用电")
			h.press("非金属矿物制品业")
			h.press("没有了")
		}},
}

// reanswer answers each question that a change may ask again.
var reanswer = map[conversation.State]func(h *harness){
	conversation.StLogin:      func(h *harness) { h.pressData("login|v:") }, // the suggestion
	conversation.StUserName:   func(h *harness) { h.press("交易员") },
	conversation.StPassword:   func(h *harness) { h.text(platformPW) },
	conversation.StPassword2:  func(h *harness) { h.text(platformPW) },
	conversation.StCreditCode: func(h *harness) { h.text("91500105MA6000123U") },
	conversation.StCreditOK:   func(h *harness) { h.press("我确认无误") },
	conversation.StTerm:       func(h *harness) { h.press("长期") },
	conversation.StBankName:   func(h *harness) { h.data("bankname|ent") },
	conversation.StMailAddr:   func(h *harness) { h.press("同注册地址") },
	conversation.StMktPwd:     func(h *harness) { h.text("other-pw") },
	conversation.StPoints: func(h *harness) {
		h.press("仓库")
		h.press("生成用电单元")
	},
	conversation.StUnitType: func(h *harness) { h.press("工商业用电") },
	conversation.StUnitHE:   func(h *harness) { h.press("非高耗能") },
	conversation.StMore:     func(h *harness) { h.press("没有了") },
}

// dependents returns every field that depends on f, directly or through
// another.
func dependents(f domain.Field) map[domain.Field]bool {
	out := map[domain.Field]bool{}
	var walk func(domain.Field)
	walk = func(f domain.Field) {
		for _, d := range conversation.Dependencies() {
			if d.From == f && !out[d.To] {
				out[d.To] = true
				walk(d.To)
			}
		}
	}
	walk(f)
	return out
}

// TestDependencies is generated from the flow's dependencies: for each
// edge and each way of changing its From (changes), it completes a draft,
// changes From from the summary, answers whatever is asked again, and
// checks that To was worked out again or asked again, and named in the
// message that says so; that nothing else changed; and that the draft is
// complete again. A change giving the same answer again must change and
// tell nothing.
func TestDependencies(t *testing.T) {
	for _, d := range conversation.Dependencies() {
		n := 0
		for _, c := range changes {
			if c.from != d.From || c.same {
				continue
			}
			n++
			t.Run(string(d.From)+"→"+string(d.To)+"/"+c.name, func(t *testing.T) {
				testDependency(t, d, c)
			})
		}
		if n == 0 {
			t.Errorf("dependency %s → %s: no change of %s in changes: add one", d.From, d.To, d.From)
		}
	}
	for _, c := range changes {
		if c.same {
			t.Run("unchanged/"+string(c.from)+"/"+c.name, func(t *testing.T) { testUnchanged(t, c) })
		}
	}
}

// playChange completes a draft, runs c's setup and change, and answers
// whatever is asked again until the summary returns. It returns the draft
// before and after the change, and the text of the messages that said
// which answers the change affected.
func playChange(t *testing.T, c changeOf) (h *harness, before, after domain.Application, told string) {
	t.Helper()
	h = newHarness(t, conversation.Config{})
	h.register()
	if c.setup != nil {
		c.setup(h)
		h.expectState(conversation.StSummary)
	}
	before = h.session().App
	h.all, h.trail = nil, nil
	c.do(h)
	for i := 0; h.state() != conversation.StSummary; i++ {
		answer, ok := reanswer[h.state()]
		if !ok || i > 30 {
			t.Fatalf("after the change, question %s (no answer for it in reanswer); replies: %s", h.state(), texts(h.last))
		}
		answer(h)
	}
	after = h.session().App
	title := zh("deps.title")
	var msgs []string
	for _, r := range h.all {
		if strings.HasPrefix(r.Text, title) {
			msgs = append(msgs, r.Text)
		}
	}
	if s := h.session(); len(s.Stale) > 0 {
		t.Errorf("back at the summary with answers still to give again: %+v", s.Stale)
	}
	if err := after.Validate(); err != nil {
		t.Errorf("the draft after the change is not complete: %v", err)
	}
	return h, before, after, strings.Join(msgs, "\n")
}

func testDependency(t *testing.T, d conversation.Dependency, c changeOf) {
	h, before, after, told := playChange(t, c)
	if told == "" {
		t.Fatalf("no message said which answers the change affected; replies: %s", texts(h.all))
	}
	label := zh("field." + string(d.To))
	updated, asked := zh("deps.updated", "Fields", ""), zh("deps.reask", "Fields", "")
	asked = asked[:strings.Index(asked, "：")]
	q, hasQuestion := conversation.Question(d.To)
	lineWith := func(prefix string) bool {
		for _, l := range strings.Split(told, "\n") {
			if strings.HasPrefix(l, prefix) && strings.Contains(l, label) {
				return true
			}
		}
		return false
	}
	if slices.Contains(c.derived, d.To) {
		if !lineWith(updated) {
			t.Errorf("%s was to be worked out again and named so; told:\n%s", d.To, told)
		}
		if hasQuestion && slices.Contains(h.trail, q) {
			t.Errorf("%s was worked out again, yet its question %s was asked", d.To, q)
		}
		if d.To != domain.FieldCertificate && after.Value(d.To) == before.Value(d.To) {
			t.Errorf("%s is still %q", d.To, after.Value(d.To))
		}
	} else {
		if !lineWith(asked) {
			t.Errorf("%s was to be asked again and named so; told:\n%s", d.To, told)
		}
		if !hasQuestion || !slices.Contains(h.trail, q) {
			t.Errorf("%s was not asked again (states %v)", d.To, h.trail)
		}
		if !after.Answered(d.To) {
			t.Errorf("%s has no answer after it was asked again", d.To)
		}
	}
	// Nothing but the field changed and what depends on it.
	changed := dependents(c.from)
	changed[c.from] = true
	for _, spec := range domain.Fields {
		if !changed[spec.Field] && after.Value(spec.Field) != before.Value(spec.Field) {
			t.Errorf("%s changed from %q to %q", spec.Field, before.Value(spec.Field), after.Value(spec.Field))
		}
	}
	if !changed[domain.FieldUnits] && !reflect.DeepEqual(after.Accounts, before.Accounts) {
		t.Errorf("the units changed: %+v", after.Accounts)
	}
}

func testUnchanged(t *testing.T, c changeOf) {
	h, before, after, told := playChange(t, c)
	if told != "" {
		t.Errorf("giving %s again unchanged was told: %s", c.from, told)
	}
	for _, spec := range domain.Fields {
		if after.Value(spec.Field) != before.Value(spec.Field) {
			t.Errorf("%s changed from %q to %q", spec.Field, before.Value(spec.Field), after.Value(spec.Field))
		}
	}
	if !reflect.DeepEqual(after.Accounts, before.Accounts) || !slices.Equal(after.Account.SealedPassword, before.Account.SealedPassword) {
		t.Errorf("the units or the password changed")
	}
	for _, st := range h.trail {
		if st != conversation.StSummary && st != conversation.StEdit && steps(c.from, st) {
			continue
		}
		if st != conversation.StSummary && st != conversation.StEdit {
			t.Errorf("giving %s again asked %s", c.from, st)
		}
	}
}

// steps reports whether st is one of the questions of field f (the units'
// for the account number).
func steps(f domain.Field, st conversation.State) bool {
	switch f {
	case domain.FieldAccountNumber:
		return slices.Contains([]conversation.State{conversation.StMktAccount, conversation.StMktPwd, conversation.StPoints,
			conversation.StUnitType, conversation.StUnitHE, conversation.StMore}, st)
	case domain.FieldEnterpriseName:
		return st == conversation.StEnterprise
	case domain.FieldUserType:
		return st == conversation.StUserType || st == conversation.StUserTypeOK
	}
	q, _ := conversation.Question(f)
	return st == q
}

// TestBackAndAnotherAnswer: /back to a question and another answer clears
// what depends on it, as an edit does, and the form asks it on the way.
func TestBackAndAnotherAnswer(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toPassword()
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StLegalRep)
	for range 5 { // 确认密码, 密码, 身份证号码, 用户名, 登录名
		h.cmd("back")
	}
	h.expectState(conversation.StLogin)
	h.text("cqmmjx2025")
	h.expectSay(zh("deps.reask", "Fields", zh("field.password")))
	if s := h.session(); len(s.App.Account.SealedPassword) != 0 || len(s.Stale) != 1 {
		t.Fatalf("after another login name: password %d bytes, stale %+v", len(s.App.Account.SealedPassword), s.Stale)
	}
	h.press("交易员")
	h.text(validID)
	h.expectState(conversation.StPassword)
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StLegalRep)
	if s := h.session(); len(s.Stale) != 0 {
		t.Fatalf("stale after the password was given again: %+v", s.Stale)
	}

	// The units of an account: /back from its first unit to the account
	// question and another number drops them.
	h = newHarness(t, conversation.Config{})
	h.register()
	h.press("修改")
	h.press("用电单元")
	h.press("添加")
	h.text(account2)
	h.text("other-pw")
	h.press("仓库")
	h.press("生成用电单元")
	h.expectState(conversation.StUnitType)
	h.cmd("back") // the points were dropped: back to the query password
	h.expectState(conversation.StMktPwd)
	h.expectSay(account2)
	h.cmd("back")
	h.expectState(conversation.StMktAccount)
	h.text(account2) // the same again: nothing dropped
	if says(h.last, zh("deps.title")) || len(h.session().App.Accounts) != 2 {
		t.Fatalf("the same account again: %s; accounts %+v", texts(h.last), h.session().App.Accounts)
	}
	h.cmd("back")
	h.text("5000000009")
	h.expectSay(zh("deps.reask", "Fields", zh("field.units")))
	if s := h.session(); len(s.App.Accounts) != 1 || s.App.Accounts[0].Number != account1 {
		t.Fatalf("accounts after another number: %+v", s.App.Accounts)
	}
	h.expectState(conversation.StMktPwd)
}

// TestResubmissionEditOfTheEnterprise is the reviewers' complaint: after a
// rejection, the applicant changes the enterprise; the resubmission must
// carry the new enterprise's credit code, not the old one's, and the login
// and user names, account name made for it.
func TestResubmissionEditOfTheEnterprise(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	reject := h.submitted().Buttons[0][1]
	ctx := context.Background()
	prompt, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, Data: reject.Data, MessageID: 77})
	out, _ := h.review(ctx, review.Input{ChatID: reviewChat, ReviewerID: reviewerID, ReviewerName: "赵审核", ReplyToText: prompt[0].Text, Text: "企业选错了"})
	for _, r := range out {
		if r.ChatID == chatID && len(r.Buttons) > 0 {
			h.buttons = r.Buttons
		}
	}
	h.press("修改并重新提交")
	h.edit(domain.FieldEnterpriseName)
	h.text("某某化工")
	h.press("重庆某某化工有限公司")
	h.expectSay(zh("deps.title"))
	h.expectState(conversation.StLogin)
	h.pressData("login|v:")
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StSummary)
	h.press("提交")
	app, err := h.regs.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if app.Basic.EnterpriseName != "重庆某某化工有限公司" || app.Basic.CreditCode != "91500103000000000M" ||
		app.Account.UserName != "重庆某某化工有限公司交易员" || app.Business.AccountName != "重庆某某化工有限公司" ||
		!strings.HasPrefix(app.Account.LoginName, "cqmmhg") || len(app.Flags()) != 0 {
		t.Fatalf("resubmitted: %q %q %q %q %q, flags %v", app.Basic.EnterpriseName, app.Basic.CreditCode,
			app.Account.UserName, app.Business.AccountName, app.Account.LoginName, app.Flags())
	}
	// The card shows the new code (the old one only in what changed).
	card := texts(h.last)
	if !strings.Contains(card, "\n统一社会信用代码：91500103000000000M\n") || strings.Contains(card, "\n统一社会信用代码："+validUSCC+"\n") {
		t.Errorf("the group's card: %s", card)
	}
}

// TestClearedAnswerIsNeededToSubmit: leaving a question a change asked
// again (/back to the summary) leaves its answer cleared; submitting asks
// it first.
func TestClearedAnswerIsNeededToSubmit(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.register()
	h.edit(domain.FieldLoginName)
	h.text("cqmmjx2025")
	h.expectState(conversation.StPassword)
	h.cmd("back") // to the login name
	h.cmd("back") // to the summary
	h.expectState(conversation.StSummary)
	h.press("提交")
	h.expectSay(zh("deps.pending", "Question", zh("field.password")))
	h.expectState(conversation.StPassword)
	if h.regs.Count() != 0 {
		t.Fatal("submitted without a password")
	}
	h.text(platformPW)
	h.text(platformPW)
	h.expectState(conversation.StSummary)
	h.press("提交")
	h.expectState(conversation.StSubmitted)
}
