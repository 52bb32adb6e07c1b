package cli

import (
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
	c := &cli{db: db, out: env.Stdout, regions: map[string]string{}}
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
}

func cliTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format("2006-01-02 15:04")
}

func cliDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
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
	r := c.record(a, ds, "")
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	line("reference", r.Reference)
	line("status", r.Status+" (version "+strconv.Itoa(r.Version)+")")
	line("submitted", cliTime(a.SubmittedAt))
	line("enterprise", r.EnterpriseName)
	line("credit code", r.CreditCode+map[bool]string{true: " (check character flagged, confirmed by the applicant)"}[r.CreditCodeFlagged])
	line("organization code", r.OrganizationCode)
	line("login name", r.LoginName)
	line("user name", r.UserName)
	line("legal representative", r.LegalRepName)
	line("legal rep. ID", r.LegalRepIDMasked)
	line("registered capital", r.RegisteredCapital+" ×10k CNY")
	line("founded", r.FoundedOn)
	term := r.BusinessTermUntil
	if r.BusinessTermOpen {
		term = "open-ended"
	}
	line("business term", term)
	line("industry", r.Industry)
	line("user type", r.UserType)
	line("region", r.RegionCode+" "+r.RegionName)
	line("registered address", r.RegisteredAddress)
	line("bank", r.BankName+" / "+r.BankAccountName+" / "+r.BankAccountNumber)
	line("contact", strings.Join([]string{r.ContactPerson, r.ContactPosition, r.Mobile, r.Email}, " "))
	line("office phone, fax", strings.TrimSpace(r.Landline+" "+r.Fax))
	line("mailing address", strings.TrimSpace(r.MailingAddress+" "+r.Postcode))
	for _, m := range r.Accounts {
		line("marketing account", m.Number)
		for _, u := range m.Units {
			line("  unit", fmt.Sprintf("%s %s (%s) %s / %s", u.MeteringPointID, u.Name, u.VoltageCode, u.UnitType, u.HighEnergy))
		}
	}
	for _, at := range r.Attachments {
		line("attachment", fmt.Sprintf("%s %s (%d bytes, sha256 %s)", at.Kind, at.FileName, at.Size, at.SHA256))
	}
	for _, d := range r.Decisions {
		line("decision", strings.TrimSpace(fmt.Sprintf("%s %s by %s (%d) %s", cliTime(d.DecidedAt), d.Verdict, d.ReviewerName, d.ReviewerID, d.Reason)))
	}
	return tw.Flush()
}

// exportRecord is one application as the platform gets it. It has no
// field for the password hash, so none can leak; LegalRepID is filled
// only by an export with secrets.
type exportRecord struct {
	Reference         string           `json:"reference"`
	Status            string           `json:"status"`
	Version           int              `json:"version"`
	SubmittedAt       time.Time        `json:"submitted_at"`
	MemberType        string           `json:"member_type"`
	LoginName         string           `json:"login_name"`
	UserName          string           `json:"user_name"`
	LegalRepIDMasked  string           `json:"legal_rep_id_masked"`
	LegalRepID        string           `json:"legal_rep_id,omitempty"`
	EnterpriseName    string           `json:"enterprise_name"`
	CreditCode        string           `json:"credit_code"`
	CreditCodeFlagged bool             `json:"credit_code_flagged"`
	OrganizationCode  string           `json:"organization_code"`
	TaxNumber         string           `json:"tax_number"`
	LegalRepName      string           `json:"legal_rep_name"`
	RegisteredCapital string           `json:"registered_capital_10k_cny"`
	FoundedOn         string           `json:"founded_on"`
	BusinessTermUntil string           `json:"business_term_until"`
	BusinessTermOpen  bool             `json:"business_term_open"`
	Industry          string           `json:"industry"`
	UserType          string           `json:"user_type"`
	RegionCode        string           `json:"region_code"`
	RegionName        string           `json:"region_name"`
	RegisteredAddress string           `json:"registered_address"`
	BankName          string           `json:"bank_name"`
	BankAccountName   string           `json:"bank_account_name"`
	BankAccountNumber string           `json:"bank_account_number"`
	ContactPerson     string           `json:"contact_person"`
	ContactPosition   string           `json:"contact_position"`
	Mobile            string           `json:"mobile"`
	Email             string           `json:"email"`
	Landline          string           `json:"landline"`
	Fax               string           `json:"fax"`
	MailingAddress    string           `json:"mailing_address"`
	Postcode          string           `json:"postcode"`
	Accounts          []exportAccount  `json:"marketing_accounts"`
	Attachments       []exportFile     `json:"attachments"`
	Decisions         []exportDecision `json:"decisions"`
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

func (c *cli) record(a *domain.Application, ds []domain.Decision, plainID string) exportRecord {
	r := exportRecord{
		Reference: a.Reference, Status: string(a.Status), Version: a.Version, SubmittedAt: a.SubmittedAt.In(chinaTime),
		MemberType: string(a.MemberType), LoginName: a.Account.LoginName, UserName: a.Account.UserName,
		LegalRepIDMasked: a.Account.LegalRepID.Masked, LegalRepID: plainID,
		EnterpriseName: a.Basic.EnterpriseName, CreditCode: a.Basic.CreditCode, CreditCodeFlagged: a.Basic.CreditCodeFlagged,
		OrganizationCode: a.Basic.OrganizationCode(), TaxNumber: a.Basic.TaxNumber(), LegalRepName: a.Basic.LegalRepName,
		RegisteredCapital: a.Basic.RegisteredCapital, FoundedOn: cliDate(a.Basic.FoundedOn),
		BusinessTermUntil: cliDate(a.Basic.BusinessTermUntil), BusinessTermOpen: a.Basic.BusinessTermOpen,
		Industry: a.Basic.Industry, UserType: string(a.Basic.UserType), RegionCode: a.Basic.RegionCode,
		RegionName: c.regions[a.Basic.RegionCode], RegisteredAddress: a.Basic.RegisteredAddress,
		BankName: a.Business.BankName, BankAccountName: a.Business.AccountName, BankAccountNumber: a.Business.AccountNumber,
		ContactPerson: a.Contact.Person, ContactPosition: a.Contact.Position, Mobile: a.Contact.Mobile,
		Email: a.Contact.Email, Landline: a.Contact.Landline, Fax: a.Contact.Fax,
		MailingAddress: a.Contact.MailingAddress, Postcode: a.Contact.Postcode,
		Accounts: []exportAccount{}, Attachments: []exportFile{}, Decisions: []exportDecision{},
	}
	for _, m := range a.Accounts {
		ea := exportAccount{Number: m.Number, Units: []exportUnit{}}
		for _, u := range m.Units {
			ea.Units = append(ea.Units, exportUnit{MeteringPointID: u.ID, Name: u.Name, Address: u.Address,
				VoltageCode: u.VoltageCode, TariffCategory: u.TariffCategory, UnitType: u.UnitType, HighEnergy: u.HighEnergy})
		}
		r.Accounts = append(r.Accounts, ea)
	}
	for _, at := range a.Attachments {
		r.Attachments = append(r.Attachments, exportFile{Kind: string(at.Kind), FileName: at.FileName, Size: at.Size, SHA256: at.SHA256})
	}
	for _, d := range ds {
		r.Decisions = append(r.Decisions, exportDecision{Verdict: string(d.Verdict), ReviewerID: d.ReviewerID,
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
	return writeCSV(c.out, records, vault != nil)
}

// writeCSV writes one row per application; accounts, units, attachments
// and decisions are packed into cells ("; " between items, "/" between an
// item's parts). Cells a spreadsheet would take for a formula (starting
// with = + - @, a tab or a carriage return) get a leading apostrophe.
func writeCSV(out io.Writer, records []exportRecord, withSecrets bool) error {
	header := []string{"reference", "status", "version", "submitted_at", "member_type", "login_name", "user_name",
		"legal_rep_id_masked"}
	if withSecrets {
		header = append(header, "legal_rep_id")
	}
	header = append(header, "enterprise_name", "credit_code", "credit_code_flagged", "organization_code", "tax_number",
		"legal_rep_name", "registered_capital_10k_cny", "founded_on", "business_term_until", "business_term_open",
		"industry", "user_type", "region_code", "region_name", "registered_address",
		"bank_name", "bank_account_name", "bank_account_number",
		"contact_person", "contact_position", "mobile", "email", "landline", "fax", "mailing_address", "postcode",
		"marketing_accounts", "units", "attachments", "last_decision", "last_reviewer", "last_decided_at", "last_reason")
	w := csv.NewWriter(out)
	if err := w.Write(header); err != nil {
		return err
	}
	for _, r := range records {
		var accounts, units, files []string
		for _, m := range r.Accounts {
			accounts = append(accounts, m.Number)
			for _, u := range m.Units {
				units = append(units, strings.Join([]string{m.Number, u.MeteringPointID, u.UnitType, u.HighEnergy}, "/"))
			}
		}
		for _, f := range r.Attachments {
			files = append(files, f.Kind+"/"+f.FileName+"/"+f.SHA256)
		}
		var last exportDecision
		if n := len(r.Decisions); n > 0 {
			last = r.Decisions[n-1]
		}
		lastAt, lastReviewer := "", ""
		if last.Verdict != "" {
			lastAt = last.DecidedAt.Format(time.RFC3339)
			lastReviewer = fmt.Sprintf("%s (%d)", last.ReviewerName, last.ReviewerID)
		}
		row := []string{r.Reference, r.Status, strconv.Itoa(r.Version), r.SubmittedAt.Format(time.RFC3339), r.MemberType,
			r.LoginName, r.UserName, r.LegalRepIDMasked}
		if withSecrets {
			row = append(row, r.LegalRepID)
		}
		row = append(row, r.EnterpriseName, r.CreditCode, strconv.FormatBool(r.CreditCodeFlagged), r.OrganizationCode,
			r.TaxNumber, r.LegalRepName, r.RegisteredCapital, r.FoundedOn, r.BusinessTermUntil,
			strconv.FormatBool(r.BusinessTermOpen), r.Industry, r.UserType, r.RegionCode, r.RegionName, r.RegisteredAddress,
			r.BankName, r.BankAccountName, r.BankAccountNumber,
			r.ContactPerson, r.ContactPosition, r.Mobile, r.Email, r.Landline, r.Fax, r.MailingAddress, r.Postcode,
			strings.Join(accounts, "; "), strings.Join(units, "; "), strings.Join(files, "; "),
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
