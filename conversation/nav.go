package conversation

import "strings"

// The navigation keyboard: on questions answered by typing, the chat shows
// 上一步 / 帮助 / 取消 under the text field, so a phone user needs no slash
// commands. A label sent back arrives as text and is read as the command.
var navLabels = [2][3]string{
	{"⬅️ 上一步", "❓ 帮助", "✖️ 取消"},
	{"⬅️ Back", "❓ Help", "✖️ Cancel"},
}

var navCommands = [3]string{"back", "help", "cancel"}

func navKeyboard(lang string) [][]string {
	l := navLabels[langIndex(lang)]
	return [][]string{{l[0], l[1], l[2]}}
}

// navCommand returns the command a navigation label stands for.
func navCommand(text string) (string, bool) {
	text = strings.TrimSpace(text)
	for _, labels := range navLabels {
		for i, l := range labels {
			if text == l {
				return navCommands[i], true
			}
		}
	}
	return "", false
}
