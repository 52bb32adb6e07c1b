package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// Search returns up to limit catalog entries whose name contains keyword
// (case-insensitively; % and _ match themselves), starting at offset, and
// the number of all matches. Entries are ordered by trigram similarity to
// keyword, then by length (under a C locale pg_trgm ignores Chinese
// characters, and the shorter of two names containing keyword is the closer
// match), then by name.
func (db *DB) Search(ctx context.Context, keyword string, offset, limit int) ([]domain.CatalogEntry, int, error) {
	const op = "catalog search"
	keyword = strings.TrimSpace(keyword)
	pattern := likePattern(keyword)
	offset = max(offset, 0)
	var (
		entries []domain.CatalogEntry
		total   int
	)
	if limit > 0 {
		rows, err := db.pool.Query(ctx, `SELECT id, name, coalesce(credit_code, ''), count(*) OVER ()
			FROM catalog WHERE name ILIKE $1 ESCAPE '\'
			ORDER BY similarity(name, $2) DESC, length(name), name
			OFFSET $3 LIMIT $4`, pattern, keyword, offset, limit)
		if err != nil {
			return nil, 0, wrapErr(op, err)
		}
		entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.CatalogEntry, error) {
			var e domain.CatalogEntry
			err := row.Scan(&e.ID, &e.Name, &e.CreditCode, &total)
			return e, err
		})
		if err != nil {
			return nil, 0, wrapErr(op, err)
		}
		if len(entries) > 0 {
			return entries, total, nil
		}
	}
	// No page to show (limit <= 0, or offset past the end): count only.
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM catalog WHERE name ILIKE $1 ESCAPE '\'`, pattern).Scan(&total)
	if err != nil {
		return nil, 0, wrapErr(op, err)
	}
	return nil, total, nil
}

// ImportCatalog adds the entries whose name is not in the catalog yet and
// updates the credit code of those whose code changed; it reports how many
// of each. Names are trimmed and blank names skipped; a later entry with
// the same name wins. Credit codes are stored normalised (upper case, no
// spaces) and empty codes as NULL; a code failing its checksum is kept as it
// is, since the conversation flags it when the user confirms it. Importing
// the same entries again changes nothing.
func (db *DB) ImportCatalog(ctx context.Context, entries []domain.CatalogEntry) (added, updated int, err error) {
	const op = "import catalog"
	index := map[string]int{}
	var names, codes []string
	for _, e := range entries {
		name := strings.TrimSpace(e.Name)
		if name == "" {
			continue
		}
		code := normaliseCreditCode(e.CreditCode)
		if i, ok := index[name]; ok {
			codes[i] = code
			continue
		}
		index[name] = len(names)
		names = append(names, name)
		codes = append(codes, code)
	}
	if len(names) == 0 {
		return 0, 0, nil
	}
	rows, err := db.pool.Query(ctx, `INSERT INTO catalog (name, credit_code)
		SELECT n, nullif(c, '') FROM unnest($1::text[], $2::text[]) AS e (n, c)
		ON CONFLICT (name) DO UPDATE SET credit_code = excluded.credit_code, imported_at = now()
			WHERE catalog.credit_code IS DISTINCT FROM excluded.credit_code
		RETURNING xmax = 0`, names, codes)
	if err != nil {
		return 0, 0, wrapErr(op, err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
	if err != nil {
		return 0, 0, wrapErr(op, err)
	}
	for _, ins := range inserted {
		if ins {
			added++
		} else {
			updated++
		}
	}
	return added, updated, nil
}

func normaliseCreditCode(s string) string {
	if code, _ := domain.ParseCreditCode(s); code != "" {
		return code // valid, or failing only its checksum
	}
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// Regions returns the county-level divisions of Chongqing, ordered by code.
func (db *DB) Regions(ctx context.Context) ([]domain.Region, error) {
	rows, err := db.pool.Query(ctx, `SELECT code, name, kind FROM regions ORDER BY code`)
	if err != nil {
		return nil, wrapErr("regions", err)
	}
	regions, err := pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Region])
	return regions, wrapErr("regions", err)
}
