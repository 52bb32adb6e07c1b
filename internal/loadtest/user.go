package loadtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/regbot/regbot/bot/telegramtest"
)

// user is one simulated applicant: a private chat with the bot, on the
// fake Bot API (telegramtest in lean mode), which reports every message
// the bot sends or edits in the chat to event.
type user struct {
	chatID int64
	name   string
	api    *telegramtest.Server

	mu      sync.Mutex
	rev     int // bumped by every change the bot makes
	newest  int // the newest message id seen
	msgs    map[int]*chatMsg
	waiting bool      // a step is in flight
	first   time.Time // first reply to the step in flight
	sent    time.Time // when the step in flight was sent
	changed chan struct{}

	// A chaos run's user (chaos set) waits for a button it wants to press
	// to appear instead of failing at once, and keeps what a chaos run
	// checks: the ids of its messages that carry a secret, the messages
	// the bot deleted, and how often the bot sent the text it had just
	// sent (a question asked again).
	chaos    bool
	secrets  []int
	deleted  map[int]bool
	lastText string
	repeats  int
}

type chatMsg struct {
	text    string
	buttons []telegramtest.Button // those with callback data
	rev     int
}

func newUser(chatID int64, name string) *user {
	return &user{chatID: chatID, name: name, msgs: map[int]*chatMsg{}, changed: make(chan struct{}, 1)}
}

// keepMessages is how far back a user looks for buttons; the fake keeps a
// few more messages (the user's own come in between).
const keepMessages = 12

// chat is the user's chat as the fake sees it.
func (u *user) chat() telegramtest.Chat {
	return telegramtest.Chat{ID: u.chatID, UserID: u.chatID, FirstName: u.name, LanguageCode: "zh-hans"}
}

func (u *user) noteReplyLocked() {
	u.rev++
	if u.waiting && u.first.IsZero() {
		u.first = time.Now()
	}
	select {
	case u.changed <- struct{}{}:
	default:
	}
}

// event records a change the bot made in the user's chat. It is called
// by the fake with its lock held.
func (u *user) event(ev telegramtest.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	m := ev.Message
	switch ev.Method {
	case "sendMessage", "sendDocument":
		u.noteReplyLocked()
		if u.chaos && ev.Method == "sendMessage" {
			if m.Text == u.lastText {
				u.repeats++
			}
			u.lastText = m.Text
		}
		u.msgs[m.ID] = &chatMsg{text: m.Text, buttons: callbackButtons(m.Buttons), rev: u.rev}
		u.newest = max(u.newest, m.ID)
		for id := range u.msgs {
			if id <= u.newest-keepMessages {
				delete(u.msgs, id)
			}
		}
	case "deleteMessage":
		if u.chaos {
			u.deleted[m.ID] = true
		}
	case "editMessageText", "editMessageReplyMarkup":
		cm := u.msgs[m.ID]
		if cm == nil {
			return // an old message: accepted, not tracked
		}
		u.noteReplyLocked()
		cm.buttons = callbackButtons(m.Buttons)
		if ev.Method == "editMessageText" { // a removed keyboard is a reply, but not the answer awaited
			cm.text = m.Text
			cm.rev = u.rev
		}
	}
}

// callbackButtons returns the buttons with callback data, row after row.
func callbackButtons(rows [][]telegramtest.Button) []telegramtest.Button {
	var out []telegramtest.Button
	for _, row := range rows {
		for _, b := range row {
			if b.Data != "" {
				out = append(out, b)
			}
		}
	}
	return out
}

// stepKind is what a simulated user does.
type stepKind int

const (
	sayText stepKind = iota
	pressButton
	sendPDF
)

// step is one input of the script and the text the reply must contain.
type step struct {
	kind     stepKind
	arg      string // text, button label or file name
	want     string
	password bool // the platform password or its confirmation: reported on their own
	submit   bool // the final submission
	secret   bool // the bot must delete the message (an ID number, a password, a query password)
}

// script is the complete registration of TestCompleteForm in the main
// package (every field, two PDFs, one marketing account with two of its
// three metering points, two units, submit), for the user with index i:
// the login name and the marketing account are the user's own, since both
// are unique among active applications.
func script(run string, i int, account string) []step {
	login := fmt.Sprintf("lt%s%06d", run, i)
	return []step{
		{kind: sayText, arg: "/start", want: "注册助手"},
		{kind: pressButton, arg: "开始注册", want: "注册须知"},
		{kind: pressButton, arg: "我已阅读注册须知并同意条款", want: "市场成员类型"},
		{kind: pressButton, arg: "电力用户", want: "关键词"},
		{kind: sayText, arg: "渝新机械", want: "找到 1 家企业"},
		{kind: pressButton, arg: "重庆渝新机械制造有限公司", want: "登录名"},
		{kind: sayText, arg: login, want: "用户名"},
		{kind: sayText, arg: "重庆渝新交易员", want: "身份证号码"},
		{kind: sayText, arg: "11010519491231002x", want: "已记录身份证号码", secret: true},
		{kind: sayText, arg: "Yx#2026pass", want: "再次输入密码", password: true, secret: true},
		// The credit code comes from the catalog: shown, not asked.
		{kind: sayText, arg: "Yx#2026pass", want: "法定代表人姓名", password: true, secret: true},
		{kind: sayText, arg: "王五", want: "注册资本"},
		{kind: sayText, arg: "1200.5万元", want: "成立日期"},
		{kind: sayText, arg: "2008/03/18", want: "营业期限"},
		{kind: sayText, arg: "2038-03-17", want: "所属行业"},
		{kind: sayText, arg: "通用设备制造业", want: "用户类型"},
		{kind: pressButton, arg: "零售用户", want: "确认吗"},
		{kind: pressButton, arg: "确认", want: "地理区域"},
		{kind: sayText, arg: "渝中", want: "注册地址"},
		{kind: sayText, arg: "重庆市渝中区解放碑某某街18号", want: "开户银行"},
		{kind: sayText, arg: "中国建设银行重庆解放碑支行", want: "开户名称"},
		{kind: sayText, arg: "重庆渝新机械制造有限公司", want: "银行账号"},
		{kind: sayText, arg: "5000 1234 5678 9012", want: "联系人姓名"},
		{kind: sayText, arg: "赵六", want: "职务"},
		{kind: sayText, arg: "能源经理", want: "手机号"},
		{kind: sayText, arg: "199 2345 6789", want: "电子邮箱"},
		{kind: sayText, arg: "zhao6@example.com", want: "办公电话"},
		{kind: sayText, arg: "023-63001234", want: "传真"},
		{kind: sayText, arg: "02363001235", want: "通信地址"},
		{kind: sayText, arg: "重庆市渝中区邮政信箱88号", want: "邮政编码"},
		{kind: sayText, arg: "400010", want: "准入目录文件"},
		{kind: sendPDF, arg: "准入目录.pdf", want: "营业执照"},
		{kind: sendPDF, arg: "licence.pdf", want: "营销户号"},
		{kind: sayText, arg: account, want: "查询密码"},
		{kind: sayText, arg: queryPassword, want: "共有 3 个计量点", secret: true},
		{kind: pressButton, arg: account + "001", want: "已选 1 个"},
		{kind: pressButton, arg: account + "002", want: "已选 2 个"},
		{kind: pressButton, arg: "生成用电单元", want: "用电单元 1/2"},
		{kind: pressButton, arg: "大工业用电", want: "高耗能行业类别"},
		{kind: pressButton, arg: "黑色金属", want: "用电单元 2/2"},
		{kind: pressButton, arg: "工商业用电（两部制）", want: "高耗能行业类别"},
		{kind: pressButton, arg: "非高耗能", want: "其他营销户号"},
		{kind: pressButton, arg: "没有了", want: "注册信息汇总"},
		{kind: pressButton, arg: "提交", want: "已提交", submit: true},
	}
}

const queryPassword = "123456"

// do performs one step and waits until a message containing st.want is
// new or changed. It returns the time of the first reply of any kind.
func (u *user) do(ctx context.Context, st step, pdf []byte) (first time.Time, err error) {
	u.mu.Lock()
	var pressID int
	var pressData string
	if st.kind == pressButton {
		var m *chatMsg
		for pressID, pressData, m = u.findButtonLocked(st.arg); m == nil; pressID, pressData, m = u.findButtonLocked(st.arg) {
			if !u.chaos {
				u.mu.Unlock()
				return time.Time{}, fmt.Errorf("no button %q", st.arg)
			}
			// A question asked again may come in between: a chaos run's
			// user waits for the button.
			u.mu.Unlock()
			select {
			case <-u.changed:
			case <-ctx.Done():
				return time.Time{}, fmt.Errorf("no button %q: %w", st.arg, ctx.Err())
			}
			u.mu.Lock()
		}
	}
	since := u.rev
	u.waiting, u.first, u.sent = true, time.Time{}, time.Now()
	u.mu.Unlock()
	switch st.kind {
	case sayText:
		if st.secret && u.chaos {
			_, id := u.api.SendTextMessage(u.chat(), st.arg)
			u.mu.Lock()
			u.secrets = append(u.secrets, id)
			u.mu.Unlock()
		} else {
			u.api.SendText(u.chat(), st.arg)
		}
	case sendPDF:
		u.api.SendDocument(u.chat(), st.arg, "application/pdf", pdf)
	case pressButton:
		u.api.Press(u.chat(), pressID, pressData)
	}
	defer func() {
		u.mu.Lock()
		u.waiting = false
		u.mu.Unlock()
	}()
	for {
		u.mu.Lock()
		first = u.first
		found := false
		for _, m := range u.msgs {
			if m.rev > since && shows(m, st.want) {
				found = true
				break
			}
		}
		u.mu.Unlock()
		if found {
			return first, nil
		}
		select {
		case <-u.changed:
		case <-ctx.Done():
			return first, fmt.Errorf("no reply containing %q: %w", st.want, ctx.Err())
		}
	}
}

func shows(m *chatMsg, want string) bool {
	if strings.Contains(m.text, want) {
		return true
	}
	for _, b := range m.buttons {
		if strings.Contains(b.Text, want) {
			return true
		}
	}
	return false
}

// findButtonLocked finds the newest message with a button whose text
// contains label.
func (u *user) findButtonLocked(label string) (int, string, *chatMsg) {
	best, data := 0, ""
	for id, m := range u.msgs {
		if id <= best {
			continue
		}
		for _, b := range m.buttons {
			if strings.Contains(b.Text, label) {
				best, data = id, b.Data
				break
			}
		}
	}
	if best == 0 {
		return 0, "", nil
	}
	return best, data, u.msgs[best]
}
