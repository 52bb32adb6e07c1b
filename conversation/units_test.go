package conversation_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
)

// buttonTexts lists the texts of the last buttons, row by row.
func (h *harness) buttonTexts() []string {
	var out []string
	for _, row := range h.buttons {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// hasButton reports whether one of the last buttons' texts contains label.
func (h *harness) hasButton(label string) bool {
	return slices.ContainsFunc(h.buttonTexts(), func(s string) bool { return strings.Contains(s, label) })
}

// TestPointsSelectAllAndNone: 全选 ticks every metering point of the
// account, those of the other pages too, but none held by another active
// application (⛔); 全不选 unticks them all, on every page.
func TestPointsSelectAllAndNone(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	const account = "5000000009"
	var points []domain.MeteringPoint
	for i := 1; i <= 10; i++ { // two pages of eight
		points = append(points, domain.MeteringPoint{ID: fmt.Sprintf("90000009%02d", i), Name: fmt.Sprintf("%d号表", i),
			Address: "重庆市渝北区某某路9号", VoltageCode: "AC00101", TariffCategory: "large_industrial"})
	}
	h.meter.Accounts[account] = struct {
		Password string
		Points   []domain.MeteringPoint
	}{Password: queryPW, Points: points}
	// Points 3 (first page) and 10 (second page) belong to another
	// applicant's open application.
	other := &domain.Application{Status: domain.StatusSubmitted, ChatID: 999, Account: domain.Account{LoginName: "otherco1"},
		Accounts: []domain.MarketingAccount{{Number: "5000000999", Units: []domain.Unit{{MeteringPoint: points[2]}, {MeteringPoint: points[9]}}}}}
	if _, _, _, err := h.regs.Submit(context.Background(), "other", other); err != nil {
		t.Fatal(err)
	}
	h.deliver() // the other application's notice is not this test's

	h.toMarketing()
	h.text(account)
	h.text(queryPW)
	h.expectState(conversation.StPoints)
	if !h.hasButton("全选") || !h.hasButton("全不选") {
		t.Fatalf("no 全选 / 全不选 among %q", h.buttonTexts())
	}
	want := []int{0, 1, 3, 4, 5, 6, 7, 8}
	out := h.press("全选")
	if got := h.session().Scratch.Ticked; !slices.Equal(got, want) {
		t.Fatalf("ticked after 全选 = %v, want %v (every point but the taken 3 and 10)", got, want)
	}
	if len(out) == 0 || out[len(out)-1].EditMessageID == 0 || !h.hasButton("已选 8 个") {
		t.Fatalf("全选 did not redraw the list in place with 8 ticked: %+v", out)
	}
	for _, b := range h.buttonTexts() {
		switch {
		case strings.Contains(b, "9000000903") && !strings.HasPrefix(b, "⛔"),
			strings.Contains(b, "9000000901") && !strings.HasPrefix(b, "☑"):
			t.Errorf("after 全选 the first page shows %q", b)
		}
	}
	h.press("下一页")
	for _, b := range h.buttonTexts() {
		switch {
		case strings.Contains(b, "9000000909") && !strings.HasPrefix(b, "☑"),
			strings.Contains(b, "9000000910") && !strings.HasPrefix(b, "⛔"):
			t.Errorf("after 全选 the second page shows %q", b)
		}
	}
	if !h.hasButton("全选") {
		t.Fatalf("the second page has no 全选: %q", h.buttonTexts())
	}

	h.press("全不选")
	if got := h.session().Scratch.Ticked; len(got) != 0 {
		t.Fatalf("ticked after 全不选 = %v", got)
	}
	if h.hasButton("生成用电单元") || h.hasButton("☑ 9000000") {
		t.Fatalf("after 全不选: %q", h.buttonTexts())
	}

	h.press("全选")
	h.press("生成用电单元")
	h.expectState(conversation.StUnitType)
	var ids []string
	s := h.session()
	for _, u := range s.App.Units() {
		ids = append(ids, u.ID)
	}
	if len(ids) != 8 || slices.Contains(ids, "9000000903") || slices.Contains(ids, "9000000910") {
		t.Fatalf("units generated after 全选: %v", ids)
	}
}

// TestUnitSameAsPrevious: a unit after the first offers 同上一单元, which
// takes both of the previous unit's choices in one tap and goes on as if
// both had been chosen; /back returns to the copied unit.
func TestUnitSameAsPrevious(t *testing.T) {
	h := newHarness(t, conversation.Config{})
	h.toMarketing()
	h.text(account1)
	h.text(queryPW)
	h.press("全选")
	h.press("生成用电单元")
	h.expectState(conversation.StUnitType)
	if h.hasButton("同上一单元") {
		t.Fatalf("the first unit offers 同上一单元: %q", h.buttonTexts())
	}
	// A forged press on the first unit changes nothing.
	h.data("unittype|same")
	if s := h.session(); s.App.Units()[0].UnitType != "" || h.state() != conversation.StUnitType {
		t.Fatalf("同上一单元 on the first unit: %+v in %s", s.App.Units()[0], h.state())
	}
	h.press("大工业用电")
	h.press("非金属矿物制品业")
	h.expectState(conversation.StUnitType)
	if !h.hasButton("同上一单元（大工业用电 / 非金属矿物制品业）") {
		t.Fatalf("unit 2 offers %q", h.buttonTexts())
	}
	h.press("同上一单元")
	h.expectSay("用电单元 2 已按上一单元填写：大工业用电 / 非金属矿物制品业")
	h.expectSay("用电单元 3/3")
	h.expectState(conversation.StUnitType)
	if s := h.session(); s.Scratch.Unit != 2 {
		t.Fatalf("after copying unit 2 the question is about unit %d", s.Scratch.Unit+1)
	}

	// /back from unit 3 asks unit 2's type again; a different choice then
	// asks its high-energy industry as usual.
	h.cmd("back")
	h.expectState(conversation.StUnitType)
	h.expectSay("用电单元 2/3")
	h.press("一般工商业用电")
	h.expectState(conversation.StUnitHE)
	h.press("非高耗能")
	h.expectSay("用电单元 3/3")
	if !h.hasButton("同上一单元（一般工商业用电 / 非高耗能行业）") {
		t.Fatalf("unit 3 offers %q", h.buttonTexts())
	}
	h.press("同上一单元") // the last unit: on to the next account question
	h.expectState(conversation.StMore)
	final := h.session()
	units := final.App.Units()
	want := [][2]string{{"large_industrial", "30"}, {"general_commercial_industrial", domain.HighEnergyNone}, {"general_commercial_industrial", domain.HighEnergyNone}}
	for i, u := range units {
		if got := [2]string{u.UnitType, u.HighEnergy}; got != want[i] {
			t.Errorf("unit %d = %v, want %v", i+1, got, want[i])
		}
	}
	h.press("没有了")
	h.expectState(conversation.StSummary)
}
