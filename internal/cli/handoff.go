package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/domain"
)

// The hand-off to the exchange: the incremental export of approved
// applications in the platform's terms (pmos: a folder each; xlsx: one
// workbook for clerks), an application's documents, and recording that the
// account was created. Every run is in the audit trail with the operator.

// exportRun is one export: what it writes and who asked.
type exportRun struct {
	format   string // pmos or xlsx
	out      string // the directory written to
	operator string
	again    string // a reference to export again, or ""
	vault    *secrets.Vault
}

// handOff exports the approved applications not exported yet (or the one
// run.again names) and records the run.
func (c *cli) handOff(ctx context.Context, run exportRun) error {
	apps, err := c.toExport(ctx, run.again)
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		_, err := fmt.Fprintln(c.out, "nothing to export: every approved application has been exported (--again REF exports one again)")
		return err
	}
	if err := os.MkdirAll(run.out, 0o700); err != nil {
		return err
	}
	plain := map[int64]string{}
	if run.vault != nil {
		for _, a := range apps {
			if plain[a.ID], err = run.vault.OpenID(a.Account.LegalRepID); err != nil {
				return fmt.Errorf("%s: decrypting the ID number: %w", a.Reference, err)
			}
		}
	}
	var written []string
	switch run.format {
	case "pmos":
		for _, a := range apps {
			dir, err := c.writeFolder(ctx, run.out, a, plain[a.ID])
			if err != nil {
				return fmt.Errorf("%s: %w", a.Reference, err)
			}
			written = append(written, dir)
		}
	case "xlsx":
		file, err := c.writeWorkbook(run.out, apps, plain)
		if err != nil {
			return err
		}
		written = append(written, file)
	}
	if err := c.recordExport(ctx, run, apps); err != nil {
		return err
	}
	for _, a := range apps {
		fmt.Fprintf(c.out, "exported %s %s\n", a.Reference, a.Basic.EnterpriseName)
	}
	_, err = fmt.Fprintf(c.out, "%d applications exported (%s) to %s\n", len(apps), run.format, strings.Join(written, ", "))
	return err
}

// toExport is what a run exports: the approved applications not exported
// yet, or the one application again names.
func (c *cli) toExport(ctx context.Context, again string) ([]*domain.Application, error) {
	if again == "" {
		return c.db.ToExport(ctx)
	}
	a, err := c.byReference(ctx, again)
	if err != nil {
		return nil, err
	}
	if a.Status != domain.StatusApproved && a.Status != domain.StatusProvisioned {
		return nil, fmt.Errorf("%s is %s: only approved applications are exported", a.Reference, a.Status)
	}
	if !a.ErasedAt.IsZero() {
		return nil, fmt.Errorf("%s: its personal data was erased on %s", a.Reference, cliTime(a.ErasedAt))
	}
	return []*domain.Application{a}, nil
}

// recordExport marks the applications exported, in the audit trail with
// the operator, and records a use of the secrets.
func (c *cli) recordExport(ctx context.Context, run exportRun, apps []*domain.Application) error {
	detail := run.format + " to " + run.out + " at " + time.Now().In(chinaTime).Format(time.RFC3339)
	if run.again != "" {
		if err := c.db.Audit(ctx, apps[0].ID, run.operator, "export_again", detail); err != nil {
			return err
		}
	} else {
		ids := make([]int64, len(apps))
		for i, a := range apps {
			ids[i] = a.ID
		}
		if err := c.db.MarkExported(ctx, ids, run.operator, detail); err != nil {
			return err
		}
	}
	if run.vault != nil {
		for _, a := range apps {
			if err := c.db.Audit(ctx, a.ID, run.operator, "export_secrets", "ID number in clear, "+detail); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFolder writes a's folder under out: application.json in the
// platform's sections, the two documents and the sealed password. It is
// written beside and renamed into place, so a folder is whole or absent.
func (c *cli) writeFolder(ctx context.Context, out string, a *domain.Application, plainID string) (string, error) {
	final := filepath.Join(out, a.Reference)
	tmp, err := os.MkdirTemp(out, "."+a.Reference+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	doc, err := json.MarshalIndent(c.pmosDocument(a, plainID), "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, "application.json"), append(doc, '\n'), 0o600); err != nil {
		return "", err
	}
	if err := c.writeDocuments(ctx, tmp, a); err != nil {
		return "", err
	}
	if len(a.Account.SealedPassword) > 0 {
		if err := os.WriteFile(filepath.Join(tmp, PasswordFile), a.Account.SealedPassword, 0o600); err != nil {
			return "", err
		}
	}
	if err := os.RemoveAll(final); err != nil { // exported again
		return "", err
	}
	return final, os.Rename(tmp, final)
}

// writeDocuments writes a's documents into dir under their names in the
// platform's terms (准入目录.pdf, 营业执照.pdf), byte for byte as uploaded.
func (c *cli) writeDocuments(ctx context.Context, dir string, a *domain.Application) error {
	for _, k := range domain.RequiredAttachments {
		at, ok := a.Attachment(k)
		if !ok {
			continue
		}
		data, err := c.db.Blobs().Get(ctx, at.BlobKey)
		if err != nil {
			return fmt.Errorf("%s: %w", at.FileName, err)
		}
		if err := os.WriteFile(filepath.Join(dir, pmosDocuments[k]+".pdf"), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// pmosDocument is application.json: the platform's sections in order, each
// a list of fields with the platform's label, id and value.
func (c *cli) pmosDocument(a *domain.Application, plainID string) any {
	type field struct {
		Label string `json:"字段"`
		ID    string `json:"平台字段,omitempty"`
		Value string `json:"值"`
	}
	type section struct {
		Name   string  `json:"栏目"`
		Fields []field `json:"字段列表"`
	}
	var doc struct {
		Reference string              `json:"申请编号"`
		Status    string              `json:"状态"`
		Submitted string              `json:"提交时间"`
		Approved  string              `json:"审核通过"`
		Sections  []section           `json:"注册信息"`
		Units     []map[string]string `json:"用电单元"`
		Documents []map[string]string `json:"附件"`
	}
	doc.Reference, doc.Status, doc.Submitted = a.Reference, string(a.Status), cliTime(a.SubmittedAt)
	for _, s := range pmosForm {
		sec := section{Name: s.Name}
		for _, f := range s.Fields {
			sec.Fields = append(sec.Fields, field{Label: f.Label, ID: f.ID, Value: c.pmosValue(a, f, plainID)})
		}
		doc.Sections = append(doc.Sections, sec)
	}
	for _, m := range a.Accounts {
		for _, u := range m.Units {
			row := map[string]string{}
			for i, v := range pmosUnit(m.Number, u) {
				row[pmosUnitColumns[i].Label] = v
			}
			doc.Units = append(doc.Units, row)
		}
	}
	for _, k := range domain.RequiredAttachments {
		if at, ok := a.Attachment(k); ok {
			doc.Documents = append(doc.Documents, map[string]string{"名称": pmosDocuments[k], "文件": pmosDocuments[k] + ".pdf",
				"sha256": at.SHA256})
		}
	}
	return doc
}

// writeWorkbook writes one workbook for clerks: a row per application on
// the first sheet (the platform's fields in order), a row per unit on the
// second.
func (c *cli) writeWorkbook(out string, apps []*domain.Application, plain map[int64]string) (string, error) {
	appRows := [][]string{{"申请编号"}}
	for _, s := range pmosForm {
		for _, fl := range s.Fields {
			appRows[0] = append(appRows[0], s.Name+"/"+fl.Label)
		}
	}
	unitRows := [][]string{{"申请编号"}}
	for _, col := range pmosUnitColumns {
		unitRows[0] = append(unitRows[0], col.Label)
	}
	for _, a := range apps {
		row := []string{a.Reference}
		for _, s := range pmosForm {
			for _, fl := range s.Fields {
				row = append(row, c.pmosValue(a, fl, plain[a.ID]))
			}
		}
		appRows = append(appRows, row)
		for _, m := range a.Accounts {
			for _, u := range m.Units {
				unitRows = append(unitRows, append([]string{a.Reference}, pmosUnit(m.Number, u)...))
			}
		}
	}
	name := filepath.Join(out, "regbot-export-"+time.Now().In(chinaTime).Format("20060102-150405")+".xlsx")
	err := writeFileAtomic(name, func(w io.Writer) error {
		return writeXLSX(w, []sheet{{"注册申请", appRows}, {"用电单元", unitRows}})
	})
	return name, err
}

// files writes the documents of application ref into out.
func (c *cli) files(ctx context.Context, ref, out string) error {
	a, err := c.byReference(ctx, ref)
	if err != nil {
		return err
	}
	if len(a.Attachments) == 0 {
		return fmt.Errorf("%s has no documents (erased on %s?)", a.Reference, cliTime(a.ErasedAt))
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	if err := c.writeDocuments(ctx, out, a); err != nil {
		return err
	}
	for _, k := range domain.RequiredAttachments {
		if _, ok := a.Attachment(k); ok {
			fmt.Fprintln(c.out, filepath.Join(out, pmosDocuments[k]+".pdf"))
		}
	}
	return nil
}

// provisioned records that the account of application ref exists on the
// platform.
func (c *cli) provisioned(ctx context.Context, ref, platformID, operator string) error {
	a, err := c.byReference(ctx, ref)
	if err != nil {
		return err
	}
	app, changed, err := c.db.Provision(ctx, a.ID, platformID, operator)
	if domain.ErrorCode(err) == domain.CodeConflict {
		return fmt.Errorf("%s is %s: only an approved application can be provisioned", a.Reference, a.Status)
	}
	if err != nil {
		return err
	}
	if !changed {
		_, err = fmt.Fprintf(c.out, "%s was provisioned already, on %s: nothing changed\n", app.Reference, cliTime(app.ProvisionedAt))
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s provisioned: the sealed password is erased, and the applicant will be told (login name %s)\n",
		app.Reference, app.Account.LoginName)
	return err
}

// purge erases the personal data of the applications over (rejected,
// withdrawn, provisioned) for longer than age; only lists them unless yes.
func (c *cli) purge(ctx context.Context, age time.Duration, operator string, yes bool) error {
	before := time.Now().Add(-age)
	apps, err := c.db.ToPurge(ctx, before)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if !yes {
			fmt.Fprintf(c.out, "would erase %s (%s since %s)\n", a.Reference, a.Status, cliTime(a.SubmittedAt))
			continue
		}
		if _, err := c.db.Erase(ctx, a.ID, operator, true); err != nil {
			return fmt.Errorf("%s: %w", a.Reference, err)
		}
		fmt.Fprintf(c.out, "erased %s (%s)\n", a.Reference, a.Status)
	}
	verb := "would be erased (a dry run: --yes erases)"
	if yes {
		verb = "erased"
	}
	_, err = fmt.Fprintf(c.out, "%d applications over before %s %s\n", len(apps), before.In(chinaTime).Format("2006-01-02"), verb)
	return err
}

// byReference loads application ref; an unknown one is an error saying so.
func (c *cli) byReference(ctx context.Context, ref string) (*domain.Application, error) {
	a, err := c.db.GetByReference(ctx, ref)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return nil, fmt.Errorf("no application %s", ref)
	}
	return a, err
}

// parseAge reads --older-than: a duration in days ("180d") or Go's units.
func parseAge(v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive age such as 180d or 4320h")
	}
	return d, nil
}
