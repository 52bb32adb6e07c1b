package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
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

const applicationsUsage = `usage: regbot applications list [--status S]
       regbot applications show REF
       regbot applications export --format pmos|xlsx --out DIR --operator NAME [--again REF] [--with-secrets]
       regbot applications export [--format json|csv] [--with-secrets]
       regbot applications files REF --out DIR
       regbot applications provisioned REF [--platform-id ID] --operator NAME
       regbot applications purge --older-than AGE --operator NAME [--yes]

All read DATABASE_URL.
  list         applications, oldest first (S: submitted, resubmitted, approved, rejected,
               withdrawn, provisioned)
  show         one application with its units, documents, decisions and audit trail
  export       the hand-off to the exchange. pmos: a folder per approved application not
               exported yet, in the platform's sections and terms (application.json, 准入目录.pdf,
               营业执照.pdf, password.age, which only the exchange's age identity opens:
               age -d -i KEY password.age); xlsx: one workbook for clerks (a row per application,
               a sheet of units). Each application is exported once; --again REF exports one
               again. The run is in the audit trail under --operator. json|csv: every
               application to stdout, as a report.
               --with-secrets puts the legal representative's ID number in clear (it needs
               DATA_KEYS and ID_HASH_KEY, the keys it was sealed with) and is audited.
  files        an application's documents, written into DIR
  provisioned  the exchange created the account on its platform: the application becomes
               provisioned, its sealed password is erased and the applicant is told how to log
               in. Running it again changes nothing.
  purge        erase the personal data of applications rejected, withdrawn or provisioned
               longer ago than AGE (e.g. 180d): a dry run unless --yes`

// chinaTime is the zone the CLI shows times in (the exchange's).
var chinaTime = time.FixedZone("CST", 8*60*60)

func applicationsCommand() Command {
	return Command{
		Name:    "applications",
		Summary: "list, show, export (the hand-off), provision and purge the applications",
		Usage:   applicationsUsage,
		Run:     runApplications,
	}
}

// applicationsFlags are the flags of every applications subcommand.
type applicationsFlags struct {
	status, format, out, operator, again, platformID, olderThan string
	withSecrets, yes                                            bool
}

func runApplications(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErrorf("want list, show, export, files, provisioned or purge")
	}
	sub, args := args[0], args[1:]
	fs := flags("applications " + sub)
	var o applicationsFlags
	fs.StringVar(&o.status, "status", "", "")
	fs.StringVar(&o.format, "format", "json", "")
	fs.StringVar(&o.out, "out", "", "")
	fs.StringVar(&o.operator, "operator", "", "")
	fs.StringVar(&o.again, "again", "", "")
	fs.StringVar(&o.platformID, "platform-id", "", "")
	fs.StringVar(&o.olderThan, "older-than", "", "")
	fs.BoolVar(&o.withSecrets, "with-secrets", false, "")
	fs.BoolVar(&o.yes, "yes", false, "")
	// Flags may follow the reference (provisioned REF --operator NAME).
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := o.check(sub, positional); err != nil {
		return err
	}
	required := []string{"DATABASE_URL"}
	if o.withSecrets {
		required = append(required, "DATA_KEYS", "ID_HASH_KEY")
	}
	cfg, err := config(env, required...)
	if err != nil {
		return err
	}
	var vault *secrets.Vault
	if o.withSecrets {
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
		return c.list(ctx, domain.Status(o.status))
	case "show":
		return c.show(ctx, positional[0])
	case "files":
		return c.files(ctx, positional[0], o.out)
	case "provisioned":
		return c.provisioned(ctx, positional[0], o.platformID, o.operator)
	case "purge":
		age, _ := parseAge(o.olderThan)
		return c.purge(ctx, age, o.operator, o.yes)
	}
	if o.format == "pmos" || o.format == "xlsx" {
		return c.handOff(ctx, exportRun{format: o.format, out: o.out, operator: o.operator, again: o.again, vault: vault})
	}
	return c.export(ctx, o.format, vault)
}

// check refuses a call that cannot be right, before anything is read.
func (o applicationsFlags) check(sub string, positional []string) error {
	wantRef := func() error {
		if len(positional) != 1 {
			return usageErrorf("applications %s takes one reference (e.g. CQ-20261125-000123)", sub)
		}
		return nil
	}
	needs := func(flag, value string) error {
		if strings.TrimSpace(value) == "" {
			return usageErrorf("applications %s needs --%s", sub, flag)
		}
		return nil
	}
	switch sub {
	case "list":
		switch domain.Status(o.status) {
		case "", domain.StatusSubmitted, domain.StatusResubmitted, domain.StatusApproved, domain.StatusRejected,
			domain.StatusWithdrawn, domain.StatusProvisioned:
		default:
			return usageErrorf("unknown status %q", o.status)
		}
		if len(positional) > 0 {
			return usageErrorf("applications list takes no argument")
		}
	case "show":
		return wantRef()
	case "files":
		return errors.Join(wantRef(), needs("out", o.out))
	case "provisioned":
		return errors.Join(wantRef(), needs("operator", o.operator))
	case "purge":
		if _, err := parseAge(o.olderThan); err != nil {
			return usageErrorf("--older-than %q: %v", o.olderThan, err)
		}
		return needs("operator", o.operator)
	case "export":
		if len(positional) > 0 {
			return usageErrorf("applications export takes no argument (--again REF exports one again)")
		}
		switch o.format {
		case "pmos", "xlsx":
			return errors.Join(needs("out", o.out), needs("operator", o.operator))
		case "json", "csv":
			if o.again != "" || o.out != "" {
				return usageErrorf("--again and --out are for --format pmos or xlsx")
			}
		default:
			return usageErrorf("unknown format %q", o.format)
		}
	default:
		return usageErrorf("unknown subcommand %q", sub)
	}
	return nil
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
	line("exported", cliTime(a.ExportedAt))
	line("provisioned", strings.TrimSpace(cliTime(a.ProvisionedAt)+" "+a.PlatformID))
	line("erased", cliTime(a.ErasedAt))
	trail, err := c.db.AuditTrail(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, e := range trail {
		line("audit", strings.TrimSpace(fmt.Sprintf("%s %s by %s %s", cliTime(e.At), e.Action, e.Actor, e.Detail)))
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
