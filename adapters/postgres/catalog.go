package postgres

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/regbot/regbot/domain"
)

// Search returns up to limit catalog entries whose name contains keyword
// (case-insensitively; % and _ match themselves), starting at offset, and
// the number of all matches. Entries are ordered by trigram similarity to
// keyword, then by length (under a C locale pg_trgm ignores Chinese
// characters, and the shorter of two names containing keyword is the closer
// match), then by name. An entry's CreditCodeFlagged says that its code
// fails validation (see ImportCatalogReport).
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
		rows, err := db.pool.Query(ctx, `SELECT id, name, coalesce(credit_code, ''), credit_code_flagged, count(*) OVER ()
			FROM catalog WHERE name ILIKE $1 ESCAPE '\'
			ORDER BY similarity(name, $2) DESC, length(name), name
			OFFSET $3 LIMIT $4`, pattern, keyword, offset, limit)
		if err != nil {
			return nil, 0, wrapErr(op, err)
		}
		entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.CatalogEntry, error) {
			var e domain.CatalogEntry
			err := row.Scan(&e.ID, &e.Name, &e.CreditCode, &e.CreditCodeFlagged, &total)
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

// CatalogImport is what ImportCatalogReport did with the entries it was given.
type CatalogImport struct {
	Added, Updated, Unchanged int
	// Conflicts lists the entries left out because their credit code
	// belongs to another enterprise, in the order given.
	Conflicts []CatalogConflict
}

// CatalogConflict is an entry left out of an import: the catalog (or an
// earlier entry of the same import) holds its credit code for another name.
type CatalogConflict struct {
	Index  int    // of the entry in the slice given to ImportCatalogReport
	Holder string // the name that keeps the code
}

// ImportCatalog is ImportCatalogReport for callers that want only the
// counts: entries in conflict are left out silently.
func (db *DB) ImportCatalog(ctx context.Context, entries []domain.CatalogEntry) (added, updated int, err error) {
	imp, err := db.ImportCatalogReport(ctx, entries)
	return imp.Added, imp.Updated, err
}

// ImportCatalogReport adds the entries whose name is not in the catalog
// yet and updates those whose credit code changed; it counts the entries
// added, updated and unchanged. Names are trimmed and blank names skipped;
// of two entries with the same name the later wins. Credit codes are stored
// normalised (upper case, no spaces), empty codes as NULL, and a code that
// fails validation (its check character, as a rule) is stored with
// CreditCodeFlagged set, whatever the entry says; Search returns the flag.
//
// A name that differs from a catalog name only by spaces (earlier imports
// kept "重庆 某某有限公司") is that enterprise: its row is renamed.
//
// A credit code belongs to one enterprise: an entry whose code the catalog
// keeps for another name (one this import does not give a different code),
// or whose code an earlier entry took, is left out and listed in Conflicts.
// Imports run one at a time (Search goes on meanwhile). Importing the same
// entries again counts them all unchanged and writes nothing.
func (db *DB) ImportCatalogReport(ctx context.Context, entries []domain.CatalogEntry) (CatalogImport, error) {
	const op = "import catalog"
	in := catalogInput(entries)
	if len(in) == 0 {
		return CatalogImport{}, nil
	}
	var imp CatalogImport
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Conflicts are decided on the catalog as it is: a concurrent import
		// must not change it before this one commits.
		if _, err := tx.Exec(ctx, `LOCK TABLE catalog IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		names := make([]string, len(in))
		codes := make([]string, 0, len(in))
		for i, r := range in {
			names[i] = r.name
			if r.code != "" {
				codes = append(codes, r.code)
			}
		}
		squashed := make([]string, len(in))
		for i, r := range in {
			squashed[i] = squash(r.name)
		}
		rows, err := tx.Query(ctx, `SELECT name, coalesce(credit_code, ''), credit_code_flagged
			FROM catalog WHERE name = ANY($1) OR credit_code = ANY($2)
				OR name ~ $4 AND regexp_replace(name, $4, '', 'g') = ANY($3)`,
			names, codes, squashed, spacePattern)
		if err != nil {
			return err
		}
		old, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalogRow, error) {
			var r catalogRow
			err := row.Scan(&r.name, &r.code, &r.flagged)
			return r, err
		})
		if err != nil {
			return err
		}
		imp = planCatalogImport(in, old)
		var wNames, wCodes []string
		var wFlags []bool
		for _, r := range in {
			if r.oldName != "" {
				if _, err := tx.Exec(ctx, `UPDATE catalog SET name = $2, imported_at = now() WHERE name = $1`, r.oldName, r.name); err != nil {
					return err
				}
			}
			if r.write {
				wNames, wCodes, wFlags = append(wNames, r.name), append(wCodes, r.code), append(wFlags, r.flagged)
			}
		}
		if len(wNames) == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO catalog (name, credit_code, credit_code_flagged)
			SELECT n, nullif(c, ''), f FROM unnest($1::text[], $2::text[], $3::bool[]) AS e (n, c, f)
			ON CONFLICT (name) DO UPDATE SET credit_code = excluded.credit_code,
				credit_code_flagged = excluded.credit_code_flagged, imported_at = now()`,
			wNames, wCodes, wFlags)
		return err
	})
	if err != nil {
		return CatalogImport{}, wrapErr(op, err)
	}
	return imp, nil
}

// catalogRow is a catalog entry as the import compares and stores it.
type catalogRow struct {
	index   int    // of the entry given to ImportCatalogReport
	name    string // trimmed
	code    string // normalised, "" for none
	flagged bool
	write   bool   // set by planCatalogImport: to insert or update
	oldName string // set by planCatalogImport: the row to rename first
}

// catalogInput normalises entries, drops those without a name and keeps
// one row per name: where the name first appears, with the last entry's
// code.
func catalogInput(entries []domain.CatalogEntry) []catalogRow {
	at := map[string]int{}
	var in []catalogRow
	for i, e := range entries {
		name := strings.TrimSpace(e.Name)
		if name == "" {
			continue
		}
		code := normaliseCreditCode(e.CreditCode)
		r := catalogRow{index: i, name: name, code: code}
		if code != "" {
			_, err := domain.ParseCreditCode(code)
			r.flagged = err != nil
		}
		if j, ok := at[name]; ok {
			in[j] = r
			continue
		}
		at[name] = len(in)
		in = append(in, r)
	}
	return in
}

// planCatalogImport decides what happens to each row of in (marking those
// to write or rename) given old, the catalog's rows that share a name, a
// name but for spaces, or a code with in. Conflicts come out in the order
// of the entries.
func planCatalogImport(in, old []catalogRow) CatalogImport {
	pos := map[string]int{} // name → index in in
	for i, r := range in {
		pos[r.name] = i
	}
	stored := map[string]catalogRow{} // name → old row
	keeper := map[string]string{}     // code → the name that holds it now
	spaced := map[string]string{}     // squashed name → an old name with spaces
	for _, o := range old {
		stored[o.name] = o
		if o.code != "" {
			keeper[o.code] = o.name
		}
		if sq := squash(o.name); sq != o.name {
			if _, inInput := pos[o.name]; !inInput {
				spaced[sq] = o.name
			}
		}
	}
	// An old name that differs from an entry's only by spaces (earlier
	// imports kept "重庆 某某有限公司") is that entry's row, renamed.
	owner := maps.Clone(pos) // catalog name → the entry that decides its row
	for i := range in {
		r := &in[i]
		if _, ok := stored[r.name]; ok {
			continue
		}
		if k, ok := spaced[squash(r.name)]; ok {
			if _, taken := owner[k]; !taken {
				r.oldName, owner[k] = k, i
			}
		}
	}
	holder := make([]string, len(in)) // the name keeping in[i]'s code; "" if in[i] gets it
	claimed := map[string]int{}
	for i, r := range in {
		if r.code == "" {
			continue
		}
		if j, ok := claimed[r.code]; ok {
			holder[i] = in[j].name
			continue
		}
		claimed[r.code] = i
	}
	// A name keeps its code unless this import gives it another; an entry
	// left out keeps its name's code too, which may leave out another
	// entry: repeat until nothing changes.
	for changed := true; changed; {
		changed = false
		for i, r := range in {
			if holder[i] != "" || r.code == "" {
				continue
			}
			k, ok := keeper[r.code]
			if !ok || k == r.name || k == r.oldName {
				continue
			}
			if j, ok := owner[k]; ok && holder[j] == "" {
				continue // k gets its new code (or none) from this import
			}
			holder[i], changed = k, true
		}
	}
	var imp CatalogImport
	for i := range in {
		r := &in[i]
		if holder[i] != "" {
			r.oldName = ""
			imp.Conflicts = append(imp.Conflicts, CatalogConflict{Index: r.index, Holder: holder[i]})
			continue
		}
		o, ok := stored[r.name]
		switch {
		case r.oldName != "":
			imp.Updated++
		case !ok:
			imp.Added++
		case o.code == r.code && o.flagged == r.flagged:
			imp.Unchanged++
			continue
		default:
			imp.Updated++
		}
		r.write = true
	}
	slices.SortFunc(imp.Conflicts, func(a, b CatalogConflict) int { return cmp.Compare(a.Index, b.Index) })
	return imp
}

// squash removes every space from s.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// spacePattern matches, in PostgreSQL, the spaces that squash removes
// (unicode.IsSpace), whatever the database's locale.
const spacePattern = "[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"

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
