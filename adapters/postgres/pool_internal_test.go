package postgres

import (
	"strings"
	"testing"

	"github.com/regbot/regbot/internal/devstack"
)

func TestPoolSize(t *testing.T) {
	dsn := devstack.MustPostgres(t)
	for _, tt := range []struct {
		dsn  string
		want int32
	}{
		{dsn, defaultMaxConns},
		{dsn + sep(dsn) + "pool_max_conns=3", 3},
	} {
		db, err := Open(t.Context(), tt.dsn)
		if err != nil {
			t.Fatal(err)
		}
		if got := db.pool.Config().MaxConns; got != tt.want {
			t.Errorf("pool size = %d; want %d", got, tt.want)
		}
		db.Close()
	}
}

// sep is what joins another parameter to a DSN URL.
func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}
