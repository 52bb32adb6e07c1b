package postgres

import (
	"testing"

	"github.com/regbot/regbot/domain"
)

// TestEveryFieldHasAColumn: every field of the form is stored, in a column
// of applications or (documents, units) in a table of its own.
func TestEveryFieldHasAColumn(t *testing.T) {
	childTables := map[domain.Field]string{
		domain.FieldCatalogFile: "attachments", domain.FieldLicenceFile: "attachments", domain.FieldUnits: "units",
	}
	stored := map[domain.Field]bool{}
	for _, c := range appColumns {
		if c.field != "" {
			stored[c.field] = true
			if c.write == nil {
				t.Errorf("column %s stores %s but is never written", c.name, c.field)
			}
		}
	}
	for _, spec := range domain.Fields {
		if !stored[spec.Field] && childTables[spec.Field] == "" {
			t.Errorf("field %s has no column", spec.Field)
		}
	}
	if len(appScanTargets(&domain.Application{})) == 0 || len(appWriteValues("k", &domain.Application{}, domain.Application{}.SubmittedAt)) != len(appWriteColumns) {
		t.Error("the write values and columns disagree")
	}
}
