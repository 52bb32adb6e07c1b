package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// IDKeys counts the stored ID numbers by the id of the data key that
// sealed them (erased applications hold none).
func (db *DB) IDKeys(ctx context.Context) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT legal_rep_id_key_id, count(*) FROM applications
		WHERE legal_rep_id_key_id <> '' GROUP BY 1`)
	if err != nil {
		return nil, wrapErr("id keys", err)
	}
	counts := map[string]int{}
	var key string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&key, &n}, func() error { counts[key] = n; return nil })
	return counts, wrapErr("id keys", err)
}

// RewrapIDs seals again, with reseal, up to batch stored ID numbers that
// the data key active did not seal, in one transaction, and returns how
// many it changed. A row another transaction holds (a resubmission, an
// erasure) is left for a later batch, so it may run while the bot
// serves; run it until it returns 0. The hash and the masked copy stay
// what they were (the same number under the same hash key).
func (db *DB) RewrapIDs(ctx context.Context, active string, batch int, reseal func(domain.SealedID) (domain.SealedID, error)) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, legal_rep_id_key_id, legal_rep_id_cipher, legal_rep_id_hash, legal_rep_id_masked
			FROM applications WHERE legal_rep_id_key_id NOT IN ('', $1)
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, active, batch)
		if err != nil {
			return err
		}
		type sealed struct {
			id int64
			s  domain.SealedID
		}
		olds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed, error) {
			var o sealed
			err := r.Scan(&o.id, &o.s.KeyID, &o.s.Ciphertext, &o.s.Hash, &o.s.Masked)
			return o, err
		})
		if err != nil {
			return err
		}
		for _, o := range olds {
			s, err := reseal(o.s)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE applications SET legal_rep_id_key_id = $2, legal_rep_id_cipher = $3
				WHERE id = $1`, o.id, s.KeyID, s.Ciphertext); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, wrapErr("rewrap id numbers", err)
	}
	return n, nil
}
