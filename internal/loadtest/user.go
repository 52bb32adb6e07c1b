package loadtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// user is one simulated applicant: a private chat with the bot.
type user struct {
	chatID int64
	name   string
	f      *fakeAPI

	mu      sync.Mutex
	nextID  int // message ids of the chat, shared by both sides as in Telegram
	rev     int // bumped by every change the bot makes
	msgs    map[int]*chatMsg
	waiting bool      // a step is in flight
	first   time.Time // first reply to the step in flight
	changed chan struct{}
}

type chatMsg struct {
	text    string
	buttons [][2]string // text, callback data
	rev     int
}

func newUser(chatID int64, name string) *user {
	return &user{chatID: chatID, name: name, msgs: map[int]*chatMsg{}, changed: make(chan struct{}, 1)}
}

const keepMessages = 12 // a user looks back this many messages for buttons

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

// botMessage records a message the bot sent and returns its id.
func (u *user) botMessage(_ int, text string, buttons [][2]string, _ bool) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.nextID++
	id := u.nextID
	u.noteReplyLocked()
	u.msgs[id] = &chatMsg{text: text, buttons: buttons, rev: u.rev}
	delete(u.msgs, id-keepMessages)
	return id
}

func (u *user) editMessage(id int, text string, withText bool, buttons [][2]string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	m := u.msgs[id]
	if m == nil {
		return id > 0 && id <= u.nextID // an old message: accepted, not tracked
	}
	u.noteReplyLocked()
	m.buttons = buttons
	if withText { // a removed keyboard is a reply, but not the answer awaited
		m.text = text
		m.rev = u.rev
	}
	return true
}

func (u *user) newMessageID() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.nextID++
	return u.nextID
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
	password bool // a password step: bcrypt runs in the bot
	submit   bool // the final submission
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
		{kind: sayText, arg: "11010519491231002x", want: "已记录身份证号码"},
		{kind: sayText, arg: "Yx#2026pass", want: "再次输入密码", password: true},
		{kind: sayText, arg: "Yx#2026pass", want: "统一社会信用代码", password: true},
		{kind: pressButton, arg: "使用目录中的代码", want: "法定代表人姓名"},
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
		{kind: sayText, arg: queryPassword, want: "共有 3 个计量点"},
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
func (u *user) do(ctx context.Context, st step, pdf []byte, seq int) (first time.Time, err error) {
	u.mu.Lock()
	since := u.rev
	u.waiting, u.first = true, time.Time{}
	var body string
	switch st.kind {
	case sayText:
		u.nextID++
		ent := ""
		if strings.HasPrefix(st.arg, "/") {
			ent = fmt.Sprintf(`,"entities":[{"type":"bot_command","offset":0,"length":%d}]`, len(st.arg))
		}
		body = fmt.Sprintf(`"message":{"message_id":%d,"from":%s,"date":%d,"chat":%s,"text":%s%s}`,
			u.nextID, fromJSON(u), time.Now().Unix(), chatJSON(u), jsonString(st.arg), ent)
	case sendPDF:
		u.nextID++
		fid := fmt.Sprintf("f%d_%d", u.chatID, seq)
		u.f.files.Store("documents/"+fid+".pdf", pdf)
		body = fmt.Sprintf(`"message":{"message_id":%d,"from":%s,"date":%d,"chat":%s,"document":{"file_id":%q,"file_unique_id":"u%s","file_name":%s,"mime_type":"application/pdf","file_size":%d}}`,
			u.nextID, fromJSON(u), time.Now().Unix(), chatJSON(u), fid, fid, jsonString(st.arg), len(pdf))
	case pressButton:
		id, data, m := u.findButtonLocked(st.arg)
		if m == nil {
			u.waiting = false
			u.mu.Unlock()
			return time.Time{}, fmt.Errorf("no button %q", st.arg)
		}
		body = fmt.Sprintf(`"callback_query":{"id":"cq%d_%d","from":%s,"message":{"message_id":%d,"from":{"id":7000001,"is_bot":true,"first_name":"RegBot Load"},"date":%d,"chat":%s,"text":%s},"chat_instance":"ci%d","data":%s}`,
			u.chatID, seq, fromJSON(u), id, time.Now().Unix(), chatJSON(u), jsonString(m.text), u.chatID, jsonString(data))
	}
	u.mu.Unlock()
	u.f.enqueue([]byte(body))
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
		if strings.Contains(b[0], want) {
			return true
		}
	}
	return false
}

// findButtonLocked finds the newest message with a button whose text
// contains label.
func (u *user) findButtonLocked(label string) (int, string, *chatMsg) {
	for id := u.nextID; id > u.nextID-keepMessages && id > 0; id-- {
		m := u.msgs[id]
		if m == nil {
			continue
		}
		for _, b := range m.buttons {
			if strings.Contains(b[0], label) {
				return id, b[1], m
			}
		}
	}
	return 0, "", nil
}
