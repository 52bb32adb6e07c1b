package conversation

import (
	"github.com/regbot/regbot/internal/i18n"
)

// Languages the bot speaks; the first is the default.
const (
	LangZH = i18n.Chinese
	LangEN = i18n.English
)

// The texts live in internal/i18n's message files, one per language; the
// engine renders them with Config.Messages. Keys name them ("submit.done"),
// placeholders are passed as names and values ("Ref", ref).

// text renders key in the session's language.
func (e *Engine) text(s *Session, key string, kv ...any) string { return e.msg.T(s.Lang, key, kv...) }

// tr renders key in lang.
func (e *Engine) tr(lang, key string, kv ...any) string { return e.msg.T(lang, key, kv...) }

// langOf picks the session language from a client language code.
func langOf(hint string) string { return i18n.Match(hint) }

// langIndex indexes the engine's tables of rendered texts by language.
func langIndex(lang string) int {
	if lang == LangEN {
		return 1
	}
	return 0
}

// texts are the engine's texts rendered once, at New: those shown on every
// step (a question's name, a step's name and the progress line heading
// each question, the navigation keyboard), which would otherwise be
// rendered again each time.
type texts struct {
	labels   map[State]string
	stages   []string // by stage number; 0: outside the form
	progress []string // by stage number
	nav      [len(navCommands)]string
}

func (e *Engine) renderTexts() {
	for i, lang := range []string{LangZH, LangEN} {
		tx := &e.texts[i]
		tx.labels = make(map[State]string, len(flow))
		for _, st := range flow {
			tx.labels[st.State] = e.tr(lang, labelKey(e.msg, st))
		}
		tx.stages = make([]string, len(stages)+1)
		tx.progress = make([]string, len(stages)+1)
		for n, sg := range stages {
			tx.stages[n+1] = e.tr(lang, "stage."+sg.key)
			tx.progress[n+1] = e.tr(lang, "progress", "Step", n+1, "Steps", len(stages), "Stage", tx.stages[n+1])
		}
		for j, cmd := range navCommands {
			tx.nav[j] = e.tr(lang, "nav."+cmd)
		}
	}
}

// labelKey is the text that names a question: "label.<state>" where the
// question has a name of its own, else its field's name "field.<field>".
func labelKey(msgs *i18n.Catalog, st step) string {
	if key := "label." + string(st.State); msgs.Has(key) || st.Field == "" {
		return key
	}
	return "field." + string(st.Field)
}
