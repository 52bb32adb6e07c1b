package postgres

import "testing"

func TestStatementKind(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT 1":                              "select",
		"\n\t  select id FROM applications":     "select",
		"(SELECT 1) UNION (SELECT 2)":           "select",
		"INSERT INTO x VALUES ($1)":             "insert",
		"with t AS (SELECT 1) SELECT * FROM t":  "with",
		"-- a comment\nSELECT 1":                "other",
		"VACUUM":                                "other",
		"":                                      "other",
		"DELETE FROM blobs WHERE key = ANY($1)": "delete",
	} {
		if got := statementKind(sql); got != want {
			t.Errorf("statementKind(%q) = %q, want %q", sql, got, want)
		}
	}
}
