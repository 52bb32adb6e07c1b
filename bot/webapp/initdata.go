package webapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Telegram gives a Mini App its launch data (initData) as a query string
// whose hash field signs every other field (core.telegram.org/bots/webapps,
// "Validating data received via the Mini App"):
//
//	data_check_string = every field but hash, sorted by key, as key=value
//	                    (values decoded), joined by "\n"
//	secret_key        = HMAC_SHA256(key "WebAppData", message bot_token)
//	hash              = hex(HMAC_SHA256(key secret_key, message data_check_string))
//
// Newer clients add a signature field (an Ed25519 signature for third
// parties, who do not hold the token); as a received field other than
// hash it is part of the data-check string, like any field Telegram adds.

// InitData is what verified launch data says.
type InitData struct {
	UserID   int64     // the Telegram user: in a private chat, also the chat's id
	Language string    // the user's client language code ("zh-hans", "en")
	AuthDate time.Time // when Telegram signed it
}

// Reasons initData is refused; Verify's errors wrap ErrUnauthorized.
var (
	ErrUnauthorized = errors.New("webapp: launch data refused")
	errMissing      = fmt.Errorf("%w: missing", ErrUnauthorized)
	errMalformed    = fmt.Errorf("%w: malformed", ErrUnauthorized)
	errForged       = fmt.Errorf("%w: wrong hash", ErrUnauthorized)
	errStale        = fmt.Errorf("%w: too old", ErrUnauthorized)
	errFuture       = fmt.Errorf("%w: signed in the future", ErrUnauthorized)
	errNoUser       = fmt.Errorf("%w: no user", ErrUnauthorized)
)

// clockSkew is how far in the future an auth_date may lie: Telegram's
// clock and ours may differ a little.
const clockSkew = time.Minute

// Verify checks launch data signed with the bot's token: its hash, that
// it was signed within maxAge before now, and that it names a user.
func Verify(raw, token string, now time.Time, maxAge time.Duration) (InitData, error) {
	if raw == "" {
		return InitData{}, errMissing
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return InitData{}, errMalformed
	}
	for _, v := range vals {
		if len(v) != 1 {
			return InitData{}, errMalformed // a field given twice could sign one value and mean another
		}
	}
	got, err := hex.DecodeString(vals.Get("hash"))
	if err != nil || len(got) != sha256.Size {
		return InitData{}, errForged
	}
	if !hmac.Equal(got, hash(vals, token)) {
		return InitData{}, errForged
	}
	secs, err := strconv.ParseInt(vals.Get("auth_date"), 10, 64)
	if err != nil {
		return InitData{}, errMalformed
	}
	d := InitData{AuthDate: time.Unix(secs, 0)}
	switch {
	case now.Sub(d.AuthDate) > maxAge:
		return InitData{}, errStale
	case d.AuthDate.Sub(now) > clockSkew:
		return InitData{}, errFuture
	}
	var user struct {
		ID       int64  `json:"id"`
		Language string `json:"language_code"`
	}
	if err := json.Unmarshal([]byte(vals.Get("user")), &user); err != nil || user.ID <= 0 {
		return InitData{}, errNoUser
	}
	d.UserID, d.Language = user.ID, user.Language
	return d, nil
}

// hash is the hash field Telegram would give fields signed with token.
func hash(fields url.Values, token string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != "hash" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(fields.Get(k))
	}
	secret := hmac.New(sha256.New, []byte("WebAppData"))
	secret.Write([]byte(token))
	mac := hmac.New(sha256.New, secret.Sum(nil))
	mac.Write([]byte(b.String()))
	return mac.Sum(nil)
}

// Sign returns launch data with fields, signed with token as Telegram
// signs it: for tests, and for the development console's local link to
// the form (signed with the development token).
func Sign(fields url.Values, token string) string {
	v := url.Values{}
	for k, vs := range fields {
		if k != "hash" {
			v[k] = slices.Clone(vs)
		}
	}
	v.Set("hash", hex.EncodeToString(hash(v, token)))
	return v.Encode()
}

// UserFields are the launch data of a user opening the form at t (what
// Sign signs; Telegram adds more, such as query_id and chat_instance).
func UserFields(userID int64, language string, t time.Time) url.Values {
	user, _ := json.Marshal(map[string]any{"id": userID, "first_name": "regbot", "language_code": language})
	return url.Values{
		"user":          {string(user)},
		"auth_date":     {strconv.FormatInt(t.Unix(), 10)},
		"chat_type":     {"sender"},
		"chat_instance": {"0"},
	}
}

// Link returns the form's address with launch data for the user in its
// fragment, as Telegram opens a Mini App (#tgWebAppData=…).
func Link(pageURL, initData string) string {
	return pageURL + "#" + url.Values{"tgWebAppData": {initData}, "tgWebAppVersion": {"8.0"}, "tgWebAppPlatform": {"unknown"}}.Encode()
}
