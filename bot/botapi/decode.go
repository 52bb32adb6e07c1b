package botapi

import (
	"encoding/json"

	"github.com/go-telegram/bot/models"
)

// DecodeUpdate decodes an update as json.Unmarshal into a models.Update
// does, but reads a callback query's message once. The library's
// MaybeInaccessibleMessage.UnmarshalJSON decodes the message twice (for
// its date, then whole), after encoding/json has scanned it to hand it
// over: three passes over a message that carries its whole keyboard,
// 2.5 % of the bot's CPU in the load tool's open loop.
func DecodeUpdate(data []byte, upd *models.Update) error {
	var w updateWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*upd = w.Update
	if w.CallbackQuery != nil {
		cq := w.CallbackQuery.CallbackQuery
		switch m := w.CallbackQuery.Message; {
		case m == nil:
		case m.Date == 0: // as the library tells them apart
			cq.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeInaccessibleMessage,
				InaccessibleMessage: &models.InaccessibleMessage{Chat: m.Chat, MessageID: m.ID, Date: m.Date}}
		default:
			cq.Message = models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: m}
		}
		upd.CallbackQuery = &cq
	}
	return nil
}

// updateWire is a models.Update whose callback query decodes its message
// as a plain *models.Message: a field of the outer struct takes its JSON
// name from the embedded struct's.
type updateWire struct {
	models.Update
	CallbackQuery *callbackQueryWire `json:"callback_query,omitempty"`
}

type callbackQueryWire struct {
	models.CallbackQuery
	Message *models.Message `json:"message,omitempty"`
}
