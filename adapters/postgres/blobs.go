package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// Blobs stores uploaded documents in the blobs table, once per content.
type Blobs struct {
	db *DB
}

// Put stores data under its hex SHA-256 and returns that key. Storing the
// same bytes again is a no-op.
func (b *Blobs) Put(ctx context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:])
	_, err := b.db.pool.Exec(ctx, `INSERT INTO blobs (key, data, size) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, notNilBytes(data), len(data))
	if err != nil {
		return "", wrapErr("put blob", err)
	}
	return key, nil
}

// Get returns the data stored under key; CodeNotFound if there is none.
func (b *Blobs) Get(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := b.db.pool.QueryRow(ctx, `SELECT data FROM blobs WHERE key = $1`, key).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		err = &domain.Error{Code: domain.CodeNotFound, Field: domain.FieldBlob, Reason: "blob.not_found"}
	}
	if err != nil {
		return nil, wrapErr("get blob", err)
	}
	return data, nil
}
