package conversation

import "strings"

// The navigation keyboard: on questions answered by typing, the chat shows
// 上一步 / 帮助 / 取消 under the text field, so a phone user needs no slash
// commands. A label sent back arrives as text and is read as the command.
// The labels are the texts "nav.back", "nav.help" and "nav.cancel".
var navCommands = [3]string{"back", "help", "cancel"}

func (e *Engine) navKeyboard(lang string) [][]string {
	l := e.texts[langIndex(lang)].nav
	return [][]string{{l[0], l[1], l[2]}}
}

// navCommand returns the command a navigation label stands for, in either
// language (the keyboard stays up after /lang).
func (e *Engine) navCommand(text string) (string, bool) {
	text = strings.TrimSpace(text)
	for i := range e.texts {
		for j, l := range e.texts[i].nav {
			if text == l {
				return navCommands[j], true
			}
		}
	}
	return "", false
}
