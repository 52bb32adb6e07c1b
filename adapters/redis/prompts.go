package redis

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/regbot/regbot/review"
)

var _ review.ReasonPrompts = (*ReasonPrompts)(nil)

// ReasonPrompts keeps the review group's rejections waiting for their
// reason, shared by every replica: one hash per reviewer,
// regbot:reason:{CHAT:REVIEWER}, a field per application (its id) holding
// the prompt as JSON. The hash expires keep after its latest Ask.
type ReasonPrompts struct {
	c *Client
}

// NewReasonPrompts returns the prompts kept on c.
func NewReasonPrompts(c *Client) *ReasonPrompts { return &ReasonPrompts{c: c} }

func promptKey(chatID, reviewerID int64) string {
	return "regbot:reason:{" + strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(reviewerID, 10) + "}"
}

// storedPrompt is a ReasonPrompt as stored (the application id is the
// field's name).
type storedPrompt struct {
	Version   int    `json:"v"`
	MessageID int    `json:"m"`
	Reference string `json:"r"`
	AskedAt   int64  `json:"t"` // Unix milliseconds
}

// Ask implements review.ReasonPrompts.
func (r *ReasonPrompts) Ask(ctx context.Context, chatID, reviewerID int64, p review.ReasonPrompt, keep time.Duration) error {
	v, err := json.Marshal(storedPrompt{Version: p.Version, MessageID: p.MessageID, Reference: p.Reference, AskedAt: p.AskedAt.UnixMilli()})
	if err != nil {
		return err
	}
	key := promptKey(chatID, reviewerID)
	_, err = r.c.rdb.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		tx.HSet(ctx, key, strconv.FormatInt(p.ApplicationID, 10), v)
		tx.PExpire(ctx, key, keep)
		return nil
	})
	if err != nil {
		return unavailable("ask reason", err)
	}
	return nil
}

// Asked implements review.ReasonPrompts. A field that does not read as a
// prompt (written by another version) is skipped.
func (r *ReasonPrompts) Asked(ctx context.Context, chatID, reviewerID int64) ([]review.ReasonPrompt, error) {
	m, err := r.c.rdb.HGetAll(ctx, promptKey(chatID, reviewerID)).Result()
	if err != nil {
		return nil, unavailable("reason prompts", err)
	}
	var out []review.ReasonPrompt
	for field, v := range m {
		id, err := strconv.ParseInt(field, 10, 64)
		var sp storedPrompt
		if err != nil || json.Unmarshal([]byte(v), &sp) != nil {
			continue
		}
		out = append(out, review.ReasonPrompt{ApplicationID: id, Version: sp.Version, MessageID: sp.MessageID,
			Reference: sp.Reference, AskedAt: time.UnixMilli(sp.AskedAt)})
	}
	slices.SortFunc(out, func(a, b review.ReasonPrompt) int { return b.AskedAt.Compare(a.AskedAt) })
	return out, nil
}

// Answered implements review.ReasonPrompts: HDEL removes a field once.
func (r *ReasonPrompts) Answered(ctx context.Context, chatID, reviewerID, applicationID int64) (bool, error) {
	n, err := r.c.rdb.HDel(ctx, promptKey(chatID, reviewerID), strconv.FormatInt(applicationID, 10)).Result()
	if err != nil {
		return false, unavailable("answer reason", err)
	}
	return n == 1, nil
}
