package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/internal/app"
)

func keysCommand() Command {
	return Command{
		Name:    "keys",
		Summary: "re-encrypt every stored ID number under the active data key (key rotation)",
		Usage: `usage: regbot keys rewrap --operator NAME [--batch N]
       regbot keys status

rewrap seals every ID number stored in DATABASE_URL that an older data key
sealed again with the active one (the first of DATA_KEYS), N rows per
transaction (default 500), and then says how many rows each key still
seals; status says only that. DATA_KEYS must hold the old keys and the
active one, ID_HASH_KEY the key the numbers were hashed with. It is safe
while the bot serves (rows being changed are left for the next batch) and
may be stopped and run again: it carries on where it stopped. Audited.

Drafts in Redis are not rewrapped: they expire within SESSION_TTL, so keep
an old key in DATA_KEYS that long after the rotation (SECURITY.md).`,
		Run: func(ctx context.Context, env Env, args []string) error {
			fs := flags("keys")
			operator := fs.String("operator", "", "")
			batch := fs.Int("batch", 500, "")
			if len(args) == 0 {
				return usageErrorf("want: keys rewrap or keys status")
			}
			sub := args[0]
			if err := parseFlags(fs, args[1:]); err != nil {
				return err
			}
			switch {
			case fs.NArg() > 0:
				return usageErrorf("keys %s takes no argument", sub)
			case sub != "rewrap" && sub != "status":
				return usageErrorf("unknown keys command %q: want rewrap or status", sub)
			case sub == "rewrap" && *operator == "":
				return usageErrorf("keys rewrap needs --operator NAME (the audit log names who rotated)")
			case *batch < 1:
				return usageErrorf("--batch must be at least 1")
			}
			required := []string{"DATABASE_URL"}
			if sub == "rewrap" {
				required = append(required, "DATA_KEYS", "ID_HASH_KEY")
			}
			cfg, err := config(env, required...)
			if err != nil {
				return err
			}
			db, err := postgres.Open(ctx, cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			if sub == "rewrap" {
				if err := rewrap(ctx, db, cfg, *operator, *batch, env.Stdout); err != nil {
					return err
				}
			}
			return keyStatus(ctx, db, env.Stdout)
		},
	}
}

// rewrap reseals the ID numbers of older keys in batches.
func rewrap(ctx context.Context, db *postgres.DB, cfg app.Config, operator string, batch int, out io.Writer) error {
	vault, err := app.Vault(cfg)
	if err != nil {
		return err
	}
	total := 0
	for {
		n, err := db.RewrapIDs(ctx, vault.ActiveKeyID(), batch, vault.Reseal)
		total += n
		if err != nil {
			return fmt.Errorf("after %d rewrapped: %w", total, err)
		}
		if n == 0 {
			break
		}
		fmt.Fprintf(out, "rewrapped %d (%d so far)\n", n, total)
	}
	fmt.Fprintf(out, "%d ID numbers sealed again with key %s\n", total, vault.ActiveKeyID())
	return db.Audit(ctx, 0, operator, "keys_rewrap", strconv.Itoa(total)+" ID numbers to key "+vault.ActiveKeyID())
}

// keyStatus prints how many stored ID numbers each data key seals.
func keyStatus(ctx context.Context, db *postgres.DB, out io.Writer) error {
	counts, err := db.IDKeys(ctx)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		_, err = fmt.Fprintln(out, "no stored ID numbers")
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(out, "key %s: %d ID numbers\n", k, counts[k])
	}
	return nil
}
