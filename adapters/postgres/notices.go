package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/conversation"
	"github.com/regbot/regbot/review"
)

// The outbox of notifications (migrations 00007, 00012): Submit, Decide,
// Provision and Withdraw write rows in their transactions, and the bot
// records the review group's answer to a reviewer (AddReplies) before it
// confirms the update; the bot's dispatcher claims rows, sends their
// messages and marks them sent. Claims are safe with several replicas on
// one database: FOR UPDATE SKIP LOCKED hands each row to one claimer at a
// time, and the lease (claimed_until) keeps it from the others until it
// runs out; a replica that dies mid-send thus leaves its rows to be
// claimed again after the lease. Delivery is at least once: a claimer that
// sent a message but died before recording it (Progress), or outlived its
// lease, lets another send it again.

// claimSQL leases up to $1 due rows of the kinds $3 (NULL: any) for $2 and
// counts the attempt.
const claimSQL = `UPDATE notices SET claimed_until = now() + $2::interval, attempts = attempts + 1
	WHERE id IN (
		SELECT id FROM notices
		WHERE sent_at IS NULL AND given_up_at IS NULL AND (claimed_until IS NULL OR claimed_until <= now())
			AND ($3::text[] IS NULL OR kind = ANY($3::text[]))
		ORDER BY id LIMIT $1
		FOR UPDATE SKIP LOCKED)
	RETURNING id, kind, coalesce(application_id, 0), app_version, decision_id, attempts, replies, sent_messages`

// Claim leases up to limit notices of the kinds (nil: any kind) that are
// due (neither sent nor given up, and not leased or delayed), oldest
// first, for lease, and counts the attempt. A decided notice comes with
// its decision, a replies notice with its replies, and any notice with
// the progress of earlier attempts (Notice.Sent). Until the lease runs
// out no other Claim returns them; then they are due again unless Done,
// Retry or GiveUp was called.
func (db *DB) Claim(ctx context.Context, kinds []review.NoticeKind, limit int, lease time.Duration) ([]review.Notice, error) {
	const op = "claim notices"
	var kindsArg []string // nil: NULL, any kind
	for _, k := range kinds {
		kindsArg = append(kindsArg, string(k))
	}
	var out []review.Notice
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, claimSQL, limit, lease, kindsArg)
		if err != nil {
			return err
		}
		var decisionIDs []int64
		for rows.Next() {
			var n review.Notice
			var kind string
			var decisionID *int64
			var replies []byte
			var sent []int64
			if err := rows.Scan(&n.ID, &kind, &n.ApplicationID, &n.Version, &decisionID, &n.Attempts, &replies, &sent); err != nil {
				rows.Close()
				return err
			}
			n.Kind = review.NoticeKind(kind)
			if replies != nil {
				if err := json.Unmarshal(replies, &n.Replies); err != nil {
					rows.Close()
					return fmt.Errorf("notice %d: replies: %w", n.ID, err)
				}
			}
			for _, id := range sent {
				n.Sent = append(n.Sent, int(id))
			}
			if decisionID != nil {
				decisionIDs = append(decisionIDs, *decisionID)
			} else {
				decisionIDs = append(decisionIDs, 0)
			}
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range decisionIDs {
			if id == 0 {
				continue
			}
			ds, err := loadDecisions(ctx, tx, `WHERE id = $1`, id)
			if err != nil {
				return err
			}
			if len(ds) == 1 {
				out[i].Decision = ds[0]
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr(op, err)
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b review.Notice) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// AddReplies records replies for the review group as a notice of kind
// replies, due at once, unless a notice with the same key exists (the
// same update, delivered again or to two replicas): then it changes
// nothing. The replies are stored as JSON until the notice is sent.
func (db *DB) AddReplies(ctx context.Context, key string, replies []conversation.Reply) error {
	if key == "" {
		return wrapErr("add replies", errors.New("no key"))
	}
	payload, err := json.Marshal(replies)
	if err != nil {
		return wrapErr("add replies", err)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO notices (kind, app_version, dedup_key, replies) VALUES ($1, 0, $2, $3)
		ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, string(review.NoticeReplies), key, payload)
	return wrapErr("add replies", err)
}

// Progress records how far the sending of a claimed notice got: sent has
// an entry per reply Telegram accepted, in order (Notice.Sent).
func (db *DB) Progress(ctx context.Context, id int64, sent []int) error {
	ids := make([]int64, len(sent))
	for i, m := range sent {
		ids[i] = int64(m)
	}
	_, err := db.pool.Exec(ctx, `UPDATE notices SET sent_messages = $2 WHERE id = $1 AND sent_at IS NULL`, id, ids)
	return wrapErr("notice progress", err)
}

// Done marks the notice sent: it is never claimed again, and a replies
// notice's replies are dropped.
func (db *DB) Done(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE notices SET sent_at = now(), claimed_until = NULL, replies = NULL
		WHERE id = $1 AND sent_at IS NULL`, id)
	return wrapErr("notice done", err)
}

// Retry ends the lease of a notice that could not be sent: it is due again
// after delay.
func (db *DB) Retry(ctx context.Context, id int64, delay time.Duration) error {
	_, err := db.pool.Exec(ctx, `UPDATE notices SET claimed_until = now() + $2::interval
		WHERE id = $1 AND sent_at IS NULL`, id, delay)
	return wrapErr("notice retry", err)
}

// GiveUp marks the notice as never to be sent (it kept failing); a
// replies notice's replies are dropped.
func (db *DB) GiveUp(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE notices SET given_up_at = now(), claimed_until = NULL, replies = NULL
		WHERE id = $1 AND sent_at IS NULL`, id)
	return wrapErr("notice give up", err)
}

// NoticeCounts returns how many notices are pending (neither sent nor
// given up), sent and given up.
func (db *DB) NoticeCounts(ctx context.Context) (pending, sent, gaveUp int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE sent_at IS NULL AND given_up_at IS NULL),
		count(*) FILTER (WHERE sent_at IS NOT NULL),
		count(*) FILTER (WHERE given_up_at IS NOT NULL) FROM notices`).Scan(&pending, &sent, &gaveUp)
	return pending, sent, gaveUp, wrapErr("notice counts", err)
}

// OldestWaiting returns when the application waiting longest for a
// reviewer was submitted, and since when the one waiting longest for its
// account (approved, not provisioned) was approved; zero times when none
// waits.
func (db *DB) OldestWaiting(ctx context.Context) (review, handoff time.Time, err error) {
	var r, h *time.Time
	err = db.pool.QueryRow(ctx, `SELECT
		min(submitted_at) FILTER (WHERE status IN ('submitted', 'resubmitted')),
		min(updated_at) FILTER (WHERE status = 'approved') FROM applications`).Scan(&r, &h)
	if r != nil {
		review = r.UTC()
	}
	if h != nil {
		handoff = h.UTC()
	}
	return review, handoff, wrapErr("oldest waiting", err)
}

// PruneNotices deletes the notices sent or given up before before and
// returns how many: they are done with, and the table would otherwise
// grow by a few rows per application for ever. Pending ones stay,
// however old.
func (db *DB) PruneNotices(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM notices WHERE sent_at < $1 OR given_up_at < $1`, before)
	return tag.RowsAffected(), wrapErr("prune notices", err)
}

// DiscardPendingNotices gives up every notice not sent yet and returns how
// many there were. It is for tools that reuse a database between runs
// (the load test), whose earlier runs' notices would otherwise be sent.
func (db *DB) DiscardPendingNotices(ctx context.Context) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE notices SET given_up_at = now(), claimed_until = NULL, replies = NULL
		WHERE sent_at IS NULL AND given_up_at IS NULL`)
	return tag.RowsAffected(), wrapErr("discard notices", err)
}
