package postgres

import "context"

// Delete removes the blobs with the given keys that no submitted
// application refers to: a draft's files are erased, while the same bytes
// attached to an application stay. Unknown keys are ignored.
func (b *Blobs) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := b.db.pool.Exec(ctx, `DELETE FROM blobs WHERE key = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.blob_key = blobs.key)`, keys)
	return wrapErr("delete blobs", err)
}
