package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/app"
	"github.com/regbot/regbot/internal/i18n"
)

// The operator CLI: `regbot applications list|show|export`, reading the
// system of record at DATABASE_URL and writing to stdout. Nothing it prints
// contains a password hash; the legal representative's ID number appears
// in clear only in an export with --with-secrets, and only when the data
// keys are configured to decrypt it.

const applicationsUsage = `usage: regbot applications list [--status submitted|resubmitted|approved|rejected|withdrawn]
       regbot applications show REF
       regbot applications export [--format json|csv] [--with-secrets]

list and show read DATABASE_URL; export writes every application to stdout
for the trading platform (json, or csv with one row per application). The
legal representative's ID number is exported only with --with-secrets, which
needs DATA_KEYS and ID_HASH_KEY (the keys it was sealed with). Password
hashes are never exported.`

// chinaTime is the zone the CLI shows times in (the exchange's).
var chinaTime = time.FixedZone("CST", 8*60*60)

func applicationsCommand() Command {
	return Command{
		Name:    "applications",
		Summary: "list, show or export the applications in DATABASE_URL",
		Usage:   applicationsUsage,
		Run:     runApplications,
	}
}

func runApplications(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("want list, show or export")
	}
	sub, args := args[0], args[1:]
	fs := flags("applications " + sub)
	status := fs.String("status", "", "")
	format := fs.String("format", "json", "")
	withSecrets := fs.Bool("with-secrets", false, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	required := []string{"DATABASE_URL"}
	switch {
	case sub == "list" && fs.NArg() == 0:
		switch domain.Status(*status) {
		case "", domain.StatusSubmitted, domain.StatusResubmitted, domain.StatusApproved, domain.StatusRejected, domain.StatusWithdrawn:
		default:
			return usageErrorf("unknown status %q", *status)
		}
	case sub == "show" && fs.NArg() == 1:
	case sub == "export" && fs.NArg() == 0:
		if *format != "json" && *format != "csv" {
			return usageErrorf("unknown format %q", *format)
		}
		if *withSecrets {
			required = append(required, "DATA_KEYS", "ID_HASH_KEY")
		}
	default:
		return usageErrorf("unknown subcommand or arguments: %s", strings.Join(append([]string{sub}, args...), " "))
	}
	cfg, err := config(env, required...)
	if err != nil {
		return err
	}
	var vault *secrets.Vault
	if *withSecrets {
		if vault, err = app.Vault(cfg); err != nil {
			return err
		}
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	regions, err := db.Regions(ctx)
	if err != nil {
		return err
	}
	c := &cli{db: db, out: env.Stdout, regions: map[string]string{}, msgs: i18n.Default()}
	for _, r := range regions {
		c.regions[r.Code] = r.Name
	}
	switch sub {
	case "list":
		return c.list(ctx, domain.Status(*status))
	case "show":
		return c.show(ctx, fs.Arg(0))
	}
	return c.export(ctx, *format, vault)
}

type cli struct {
	db      *postgres.DB
	out     io.Writer
	regions map[string]string
	msgs    *i18n.Catalog
}

func cliTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format("2006-01-02 15:04")
}

func (c *cli) list(ctx context.Context, status domain.Status) error {
	apps, err := c.db.List(ctx, status, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tSTATUS\tSUBMITTED (UTC+8)\tUSER TYPE\tCREDIT CODE\tLOGIN\tENTERPRISE")
	for _, a := range apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Reference, a.Status, cliTime(a.SubmittedAt),
			a.Basic.UserType, a.Basic.CreditCode, a.Account.LoginName, a.Basic.EnterpriseName)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%d applications\n", len(apps))
	return err
}

func (c *cli) show(ctx context.Context, ref string) error {
	a, err := c.db.GetByReference(ctx, ref)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return fmt.Errorf("no application %s", ref)
	}
	if err != nil {
		return err
	}
	ds, err := c.db.Decisions(ctx, a.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	line("reference", a.Reference)
	line("status", string(a.Status)+" (version "+strconv.Itoa(a.Version)+")")
	line("submitted", cliTime(a.SubmittedAt))
	for _, f := range c.fields(a, "") {
		line(f.label, f.show)
	}
	for _, m := range a.Accounts {
		line(c.label(domain.FieldAccountNumber), m.Number)
		for _, u := range m.Units {
			line("  unit", fmt.Sprintf("%s %s (%s) %s / %s", u.ID, u.Name, u.VoltageCode, u.UnitType, u.HighEnergy))
		}
	}
	for _, at := range a.Attachments {
		line(c.label(domain.AttachmentField(at.Kind)), fmt.Sprintf("%s (%d bytes, sha256 %s)", at.FileName, at.Size, at.SHA256))
	}
	for _, d := range ds {
		line("decision", strings.TrimSpace(fmt.Sprintf("%s %s by %s (%d) %s", cliTime(d.DecidedAt), d.Verdict, d.ReviewerName, d.ReviewerID, d.Reason)))
	}
	return tw.Flush()
}

// label names a field for the operator: its English label in the message
// files.
func (c *cli) label(f domain.Field) string { return c.msgs.T(i18n.English, "field."+string(f)) }

// exported is one value of an application as the operator gets it: a field
// of the form, or what the platform derives from one.
type exported struct {
	key   string // the export's key: a field's name, or a derived value's
	label string // for show
	value any    // for the export (a string or a bool)
	show  string // for show ("" hides the line)
}

// fields are the application's scalar values in the form's order, each
// named by its field (domain.Fields) with the derived values after the
// field they come from. The password is never among them; the ID number is
// masked, and in clear as legal_rep_id only when plainID is given (an
// export with secrets). Lists (accounts and units, documents, decisions)
// are the caller's.
func (c *cli) fields(a *domain.Application, plainID string) []exported {
	var out []exported
	add := func(key, label string, value any, show string) {
		out = append(out, exported{key: key, label: label, value: value, show: show})
	}
	for _, spec := range domain.Fields {
		f := spec.Field
		v := a.Value(f)
		switch {
		case f == domain.FieldPassword || f == domain.FieldUnits || spec.Section == domain.SectionAttachments:
			continue
		case f == domain.FieldLegalRepID:
			add(string(f)+"_masked", c.label(f), v, v)
			if plainID != "" {
				add(string(f), c.label(f)+" (clear)", plainID, "")
			}
			continue
		case f == domain.FieldRegisteredCapital:
			add(string(f), c.label(f), v, strings.TrimSpace(v+" ×10k CNY"))
			continue
		}
		add(string(f), c.label(f), v, v)
		switch f {
		case domain.FieldCreditCode:
			flag := ""
			if a.Basic.CreditCodeFlagged {
				flag = "check character flagged, confirmed by the applicant"
			}
			add(string(f)+"_flagged", "", a.Basic.CreditCodeFlagged, flag)
			add("organization_code", "organization code", a.Basic.OrganizationCode(), a.Basic.OrganizationCode())
			add("tax_number", "tax number", a.Basic.TaxNumber(), "")
		case domain.FieldRegion:
			add(string(f)+"_name", "", c.regions[v], c.regions[v])
		}
	}
	return out
}

type exportAccount struct {
	Number string       `json:"number"`
	Units  []exportUnit `json:"units"`
}

type exportUnit struct {
	MeteringPointID string `json:"metering_point_id"`
	Name            string `json:"name"`
	Address         string `json:"address"`
	VoltageCode     string `json:"voltage_code"`
	TariffCategory  string `json:"tariff_category"`
	UnitType        string `json:"unit_type"`
	HighEnergy      string `json:"high_energy"`
}

type exportFile struct {
	Kind     string `json:"kind"`
	FileName string `json:"file_name"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
}

type exportDecision struct {
	Verdict      string    `json:"verdict"`
	ReviewerID   int64     `json:"reviewer_id"`
	ReviewerName string    `json:"reviewer_name"`
	Reason       string    `json:"reason,omitempty"`
	DecidedAt    time.Time `json:"decided_at"`
}

// exportRecord is one application as the platform gets it: its scalar
// values in order, then its lists. It has no place for the password hash,
// so none can leak.
type exportRecord struct {
	head     []exported // reference, status, version, submitted_at
	fields   []exported
	accounts []exportAccount
	files    []exportFile
	ds       []exportDecision
}

// MarshalJSON writes the record as one object, its keys in order.
func (r exportRecord) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	write := func(key string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		val, err := json.Marshal(v)
		b.Write(val)
		return err
	}
	for _, f := range append(append([]exported{}, r.head...), r.fields...) {
		if err := write(f.key, f.value); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		key string
		v   any
	}{{"marketing_accounts", r.accounts}, {"attachments", r.files}, {"decisions", r.ds}} {
		if err := write(l.key, l.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (c *cli) record(a *domain.Application, ds []domain.Decision, plainID string) exportRecord {
	r := exportRecord{
		head: []exported{{key: "reference", value: a.Reference}, {key: "status", value: string(a.Status)},
			{key: "version", value: a.Version}, {key: "submitted_at", value: a.SubmittedAt.In(chinaTime)}},
		fields:   c.fields(a, plainID),
		accounts: []exportAccount{}, files: []exportFile{}, ds: []exportDecision{},
	}
	for _, m := range a.Accounts {
		ea := exportAccount{Number: m.Number, Units: []exportUnit{}}
		for _, u := range m.Units {
			ea.Units = append(ea.Units, exportUnit{MeteringPointID: u.ID, Name: u.Name, Address: u.Address,
				VoltageCode: u.VoltageCode, TariffCategory: u.TariffCategory, UnitType: u.UnitType, HighEnergy: u.HighEnergy})
		}
		r.accounts = append(r.accounts, ea)
	}
	for _, at := range a.Attachments {
		r.files = append(r.files, exportFile{Kind: string(at.Kind), FileName: at.FileName, Size: at.Size, SHA256: at.SHA256})
	}
	for _, d := range ds {
		r.ds = append(r.ds, exportDecision{Verdict: string(d.Verdict), ReviewerID: d.ReviewerID,
			ReviewerName: d.ReviewerName, Reason: d.Reason, DecidedAt: d.DecidedAt.In(chinaTime)})
	}
	return r
}

func (c *cli) export(ctx context.Context, format string, vault *secrets.Vault) error {
	apps, err := c.db.List(ctx, "", 0)
	if err != nil {
		return err
	}
	records := make([]exportRecord, 0, len(apps))
	for _, a := range apps {
		ds, err := c.db.Decisions(ctx, a.ID)
		if err != nil {
			return err
		}
		var plain string
		if vault != nil {
			if plain, err = vault.OpenID(a.Account.LegalRepID); err != nil {
				return fmt.Errorf("%s: decrypting the ID number: %w", a.Reference, err)
			}
		}
		records = append(records, c.record(a, ds, plain))
	}
	if format == "json" {
		enc := json.NewEncoder(c.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(records)
	}
	if len(records) == 0 { // the header still says what the columns would be
		records = append(records, c.record(&domain.Application{}, nil, ""))
		return writeCSV(c.out, records, true)
	}
	return writeCSV(c.out, records, false)
}

// writeCSV writes one row per application: its scalar values as columns,
// then accounts, units, attachments and the last decision packed into cells
// ("; " between items, "/" between an item's parts). Cells a spreadsheet
// would take for a formula (starting with = + - @, a tab or a carriage
// return) get a leading apostrophe.
func writeCSV(out io.Writer, records []exportRecord, headerOnly bool) error {
	w := csv.NewWriter(out)
	for i, r := range records {
		scalars := append(append([]exported{}, r.head...), r.fields...)
		if i == 0 {
			var header []string
			for _, f := range scalars {
				header = append(header, f.key)
			}
			header = append(header, "marketing_accounts", "units", "attachments", "last_decision", "last_reviewer", "last_decided_at", "last_reason")
			if err := w.Write(header); err != nil {
				return err
			}
			if headerOnly {
				break
			}
		}
		var accounts, units, files []string
		for _, m := range r.accounts {
			accounts = append(accounts, m.Number)
			for _, u := range m.Units {
				units = append(units, strings.Join([]string{m.Number, u.MeteringPointID, u.UnitType, u.HighEnergy}, "/"))
			}
		}
		for _, f := range r.files {
			files = append(files, f.Kind+"/"+f.FileName+"/"+f.SHA256)
		}
		var last exportDecision
		if n := len(r.ds); n > 0 {
			last = r.ds[n-1]
		}
		lastAt, lastReviewer := "", ""
		if last.Verdict != "" {
			lastAt = last.DecidedAt.Format(time.RFC3339)
			lastReviewer = fmt.Sprintf("%s (%d)", last.ReviewerName, last.ReviewerID)
		}
		var row []string
		for _, f := range scalars {
			switch v := f.value.(type) {
			case time.Time:
				row = append(row, v.Format(time.RFC3339))
			default:
				row = append(row, fmt.Sprint(v))
			}
		}
		row = append(row, strings.Join(accounts, "; "), strings.Join(units, "; "), strings.Join(files, "; "),
			last.Verdict, lastReviewer, lastAt, last.Reason)
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				row[i] = "'" + cell
			}
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
