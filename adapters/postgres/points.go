package postgres

import (
	"context"
)

// TakenPoints reports which of the metering point ids belong to a unit of
// an active (not rejected or withdrawn) application other than except.
func (db *DB) TakenPoints(ctx context.Context, ids []string, except int64) (map[string]bool, error) {
	taken := map[string]bool{}
	if len(ids) == 0 {
		return taken, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT u.metering_point_id FROM units u
		JOIN applications a ON a.id = u.application_id
		WHERE u.metering_point_id = ANY($1) AND a.id <> $2 AND a.status NOT IN ('rejected', 'withdrawn')`, ids, except)
	if err != nil {
		return nil, wrapErr("taken points", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrapErr("taken points", err)
		}
		taken[id] = true
	}
	return taken, wrapErr("taken points", rows.Err())
}
