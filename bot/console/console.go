// Package console is a terminal transport for the registration engine: the
// same dialogue as in Telegram, typed in a terminal. Buttons are shown
// numbered; "#N" presses one. The console user is also the reviewer, so the
// review group's messages appear inline, prefixed with [审核群].
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/review"
)

// Engine is the applicant's dialogue the console drives
// (*conversation.Engine).
type Engine interface {
	Handle(ctx context.Context, in conversation.Input) ([]conversation.Reply, error)
}

// Desk is the review group's workflow and the notices' renderer
// (*review.Desk).
type Desk interface {
	Handle(ctx context.Context, in review.Input) ([]conversation.Reply, error)
	RenderNotice(ctx context.Context, n review.Notice) ([]conversation.Reply, error)
}

// Notices is the store of the notices that submissions and decisions
// record (the review group's notice and cards, the applicant's decision
// message). The desk's own replies are shown at once: the console has no
// process to outlive.
type Notices interface {
	Claim(ctx context.Context, kinds []review.NoticeKind, limit int, lease time.Duration) ([]review.Notice, error)
	Done(ctx context.Context, id int64) error
}

// Console reads commands from In and writes the chat to Out.
type Console struct {
	eng          Engine
	desk         Desk
	in           io.Reader
	out          io.Writer
	ChatID       int64 // the applicant's chat
	UserID       int64 // the applicant, also the reviewer
	ReviewChatID int64
	// Notices, if set, are shown after each input that recorded some.
	Notices Notices
	// FormLink, if set, turns a Mini App button's address into a link a
	// desktop browser opens as the console user (signed launch data in the
	// fragment); the button is printed as that link.
	FormLink func(url string) string

	// mu serialises the output and the button list: Deliver prints from
	// the form's saves while the console waits for input.
	mu sync.Mutex

	msgID   int
	buttons []pressable
	reason  string // text of the last rejection-reason prompt (a ForceReply)
}

type pressable struct {
	chat  int64
	msgID int
	data  string
}

// New returns a console on r and w.
func New(eng Engine, desk Desk, r io.Reader, w io.Writer, reviewChatID int64) *Console {
	return &Console{eng: eng, desk: desk, in: r, out: w, ChatID: 1, UserID: 1, ReviewChatID: reviewChatID}
}

const help = `命令 / commands:
  text                 answer the question
  /start /help /back /cancel /status /lang /privacy
  #N                   press button N
  @file PATH           send a file (e.g. a PDF)
  @photo               send a photo
  @contact PHONE       share your phone number
  @reason TEXT         (reviewer) reply to the rejection prompt with a reason
  @pending             (reviewer) list pending applications
  @find KEYWORD        (reviewer) find applications by name, login, credit code or reference
  @show REF            (reviewer) show one application
  @quit                leave`

// Run reads lines until EOF, "@quit" or ctx is done.
func (c *Console) Run(ctx context.Context) error {
	fmt.Fprintln(c.out, help)
	sc := bufio.NewScanner(c.in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if err := c.user(ctx, conversation.Input{Kind: conversation.InputCommand, Command: "start", Text: "/start"}); err != nil {
		return err
	}
	for {
		fmt.Fprint(c.out, "> ")
		if ctx.Err() != nil || !sc.Scan() {
			fmt.Fprintln(c.out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line == "@quit" {
			return nil
		}
		if err := c.line(ctx, line); err != nil {
			fmt.Fprintf(c.out, "! %v\n", err)
		}
	}
}

func (c *Console) line(ctx context.Context, line string) error {
	switch {
	case strings.HasPrefix(line, "#"):
		var n int
		c.mu.Lock()
		if _, err := fmt.Sscanf(line, "#%d", &n); err != nil || n < 1 || n > len(c.buttons) {
			c.mu.Unlock()
			return fmt.Errorf("no button %s", line)
		}
		b := c.buttons[n-1]
		c.mu.Unlock()
		if b.chat == c.ReviewChatID {
			return c.review(ctx, review.Input{ChatID: b.chat, ReviewerID: c.UserID, ReviewerName: "console", MessageID: b.msgID, Data: b.data})
		}
		return c.user(ctx, conversation.Input{Kind: conversation.InputButton, Data: b.data, MessageID: b.msgID})
	case strings.HasPrefix(line, "@file "):
		path := strings.TrimSpace(strings.TrimPrefix(line, "@file "))
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		doc := &conversation.Document{FileID: "", FileName: filepath.Base(path), Size: fi.Size()}
		if fi.Size() <= domain.MaxAttachmentSize {
			if doc.Data, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		return c.user(ctx, conversation.Input{Kind: conversation.InputDocument, Document: doc})
	case line == "@photo":
		return c.user(ctx, conversation.Input{Kind: conversation.InputPhoto})
	case strings.HasPrefix(line, "@contact "):
		phone := strings.TrimSpace(strings.TrimPrefix(line, "@contact "))
		return c.user(ctx, conversation.Input{Kind: conversation.InputContact, Contact: &conversation.Contact{Phone: phone, UserID: c.UserID}})
	case strings.HasPrefix(line, "@reason "):
		if c.reason == "" {
			return fmt.Errorf("no rejection prompt to reply to")
		}
		return c.review(ctx, review.Input{ChatID: c.ReviewChatID, ReviewerID: c.UserID, ReviewerName: "console",
			ReplyToText: c.reason, Text: strings.TrimPrefix(line, "@reason ")})
	case line == "@pending":
		return c.review(ctx, review.Input{ChatID: c.ReviewChatID, ReviewerID: c.UserID, Command: "pending"})
	case strings.HasPrefix(line, "@find "), strings.HasPrefix(line, "@show "):
		cmd, args, _ := strings.Cut(strings.TrimPrefix(line, "@"), " ")
		return c.review(ctx, review.Input{ChatID: c.ReviewChatID, ReviewerID: c.UserID, Command: cmd, Args: strings.TrimSpace(args)})
	case strings.HasPrefix(line, "/"):
		name, args, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
		return c.user(ctx, conversation.Input{Kind: conversation.InputCommand, Command: strings.ToLower(name), Text: line, Data: args})
	}
	return c.user(ctx, conversation.Input{Kind: conversation.InputText, Text: line})
}

func (c *Console) user(ctx context.Context, in conversation.Input) error {
	in.ChatID, in.UserID = c.ChatID, c.UserID
	c.mu.Lock()
	if in.MessageID == 0 {
		c.msgID++
		in.MessageID = c.msgID
	}
	c.mu.Unlock()
	out, err := c.eng.Handle(ctx, in)
	c.show(append(out, c.notices(ctx)...))
	return err
}

func (c *Console) review(ctx context.Context, in review.Input) error {
	out, err := c.desk.Handle(ctx, in)
	c.show(append(out, c.notices(ctx)...))
	return err
}

// Deliver shows replies no input asked for (a save of the Mini App form
// in a browser), between the prompts.
func (c *Console) Deliver(chatID int64, replies []conversation.Reply) {
	for i := range replies {
		if replies[i].ChatID == 0 {
			replies[i].ChatID = chatID
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out)
	c.render(replies)
	fmt.Fprint(c.out, "> ")
}

func (c *Console) show(out []conversation.Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.render(out)
}

// notices renders the due notices and marks them sent: the console is
// one process with one reader, so there is no lease to speak of and a
// notice that fails to render is tried again after the next input.
func (c *Console) notices(ctx context.Context) []conversation.Reply {
	if c.Notices == nil {
		return nil
	}
	ns, err := c.Notices.Claim(ctx, nil, 100, time.Second)
	if err != nil {
		fmt.Fprintf(c.out, "! notices: %v\n", err)
		return nil
	}
	var out []conversation.Reply
	for _, n := range ns {
		rs, err := c.desk.RenderNotice(ctx, n)
		if err != nil {
			fmt.Fprintf(c.out, "! notice %d: %v\n", n.ID, err)
			continue
		}
		out = append(out, rs...)
		if err := c.Notices.Done(ctx, n.ID); err != nil {
			fmt.Fprintf(c.out, "! notice %d: %v\n", n.ID, err)
		}
	}
	return out
}

// render prints replies; buttons are renumbered from 1 for each batch.
func (c *Console) render(out []conversation.Reply) {
	if len(out) > 0 {
		c.buttons = nil
	}
	for _, r := range out {
		prefix := ""
		chat := r.ChatID
		if chat == 0 {
			chat = c.ChatID
		}
		if chat == c.ReviewChatID && c.ReviewChatID != 0 {
			prefix = "[审核群] "
		} else if chat != c.ChatID {
			prefix = fmt.Sprintf("[chat %d] ", chat)
		}
		switch {
		case r.Toast != "" && r.Text == "":
			fmt.Fprintf(c.out, "%s(提示) %s\n", prefix, r.Toast)
			continue
		case r.ClearButtonsOf != 0:
			continue // buttons are numbered per reply batch; nothing to remove
		case r.DeleteMessageID != 0:
			fmt.Fprintf(c.out, "%s(您刚才的消息已删除 / your message was deleted)\n", prefix)
			continue
		case r.Document != nil:
			fmt.Fprintf(c.out, "%s📎 %s  %s\n", prefix, r.Document.FileName, r.Document.Caption)
			continue
		}
		if r.Toast != "" {
			fmt.Fprintf(c.out, "%s(提示) %s\n", prefix, r.Toast)
		}
		msg := r.EditMessageID
		if msg == 0 {
			c.msgID++
			msg = c.msgID
		} else {
			prefix += "(更新) "
		}
		fmt.Fprintf(c.out, "%s%s\n", prefix, r.Text)
		if r.ForceReply {
			c.reason = r.Text
			fmt.Fprintln(c.out, "   → @reason 理由")
		}
		for _, row := range r.Buttons {
			var cells []string
			for _, b := range row {
				if b.WebAppURL != "" { // a page, not a button to press here
					link := b.WebAppURL
					if c.FormLink != nil {
						link = c.FormLink(link)
					}
					fmt.Fprintf(c.out, "   [%s] %s\n", b.Text, link)
					continue
				}
				c.buttons = append(c.buttons, pressable{chat: chat, msgID: msg, data: b.Data})
				cells = append(cells, fmt.Sprintf("[#%d %s]", len(c.buttons), b.Text))
			}
			if len(cells) > 0 {
				fmt.Fprintln(c.out, "   "+strings.Join(cells, " "))
			}
		}
		if r.RequestContact {
			fmt.Fprintln(c.out, "   → @contact 手机号")
		}
	}
}
