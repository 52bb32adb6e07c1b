package bot

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// Review buttons decide applications, and their callback data round-trips
// through the reviewer's client, which can send back any data it likes. So
// the bot signs the data of every review button it sends and checks the
// signature of every review button pressed before the engine sees it: a
// press with data the bot did not write (another application's id, another
// version, a different verdict, an altered signature) reaches the engine
// marked Tampered and changes nothing. The engine then still checks the
// id and version against the application's status and version.
//
// Signed data is "<data>|<mac>", mac being the first macBytes of
// HMAC-SHA256(key, "<review chat id>|<data>") in unpadded base64url. The
// engine's review data is at most 35 bytes ("rv|a|" + an int64 id + "|" +
// an int version), so signed data stays within Telegram's 64 bytes.

const (
	reviewDataPrefix = "rv|"
	macBytes         = 12 // 96 bits: forging one needs ~2^96 tries, each a button press
	maxCallbackData  = 64 // Telegram's limit, in bytes
)

// isReviewData reports whether callback data belongs to a review button.
func isReviewData(data string) bool { return strings.HasPrefix(data, reviewDataPrefix) }

// signData appends the signature to review button data; other data is
// returned as it is.
func (b *Bot) signData(data string) string {
	if !isReviewData(data) {
		return data
	}
	signed := data + "|" + b.mac(data)
	if len(signed) > maxCallbackData {
		// Cannot happen with the engine's data; Telegram would refuse it.
		b.log.Error("bot: signed callback data too long", "bytes", len(signed))
	}
	return signed
}

// verifyData checks signed review button data and returns it without the
// signature. ok is false for data without a valid signature.
func (b *Bot) verifyData(signed string) (data string, ok bool) {
	i := strings.LastIndexByte(signed, '|')
	if i < 0 || !isReviewData(signed) {
		return signed, false
	}
	data, sig := signed[:i], signed[i+1:]
	if !hmac.Equal([]byte(sig), []byte(b.mac(data))) {
		return signed, false
	}
	return data, true
}

func (b *Bot) mac(data string) string {
	m := hmac.New(sha256.New, b.callbackKey)
	m.Write([]byte(strconv.FormatInt(b.reviewChatID, 10)))
	m.Write([]byte{'|'})
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macBytes])
}

// randomKey is the signing key when none is configured: buttons then stop
// working when the process restarts, and replicas do not accept each
// other's buttons.
func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails (crypto/rand)
	return k
}
