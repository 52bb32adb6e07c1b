package domain

import (
	"strings"
	"testing"
	"time"
)

// TestFields: every field of the form is listed once, in a known section,
// and a field held as one string reads back what is written through Text.
func TestFields(t *testing.T) {
	seen := map[Field]bool{}
	known := map[Section]bool{"": true}
	for _, sec := range Sections {
		known[sec] = true
	}
	for _, spec := range Fields {
		if seen[spec.Field] {
			t.Errorf("%s listed twice", spec.Field)
		}
		seen[spec.Field] = true
		if !known[spec.Section] {
			t.Errorf("%s in an unknown section %q", spec.Field, spec.Section)
		}
		if got, ok := spec.Field.Spec(); !ok || got.Field != spec.Field {
			t.Errorf("%s.Spec() = %v, %v", spec.Field, got, ok)
		}
		var a Application
		if p := spec.Field.Text(&a); p != nil {
			*p = "值 " + string(spec.Field)
			if a.Value(spec.Field) != *p {
				t.Errorf("%s: Value %q after writing %q through Text", spec.Field, a.Value(spec.Field), *p)
			}
		}
	}
	for _, k := range RequiredAttachments {
		if !seen[AttachmentField(k)] {
			t.Errorf("attachment %s has no field", k)
		}
	}
	if _, ok := FieldKeyword.Spec(); ok {
		t.Error("FieldKeyword is not a field of the form")
	}
}

// TestValueOfEveryField: Value gives the canonical text of the fields that
// are not plain strings, and nothing for the password and the units.
func TestValueOfEveryField(t *testing.T) {
	a := validApplication()
	a.Basic.FoundedOn = time.Date(2010, 5, 20, 0, 0, 0, 0, time.UTC)
	want := map[Field]string{
		FieldMemberType: string(MemberElectricityUser), FieldLegalRepID: a.Account.LegalRepID.Masked,
		FieldCreditCode: a.Basic.CreditCode, FieldFoundedOn: "2010-05-20", FieldUserType: string(a.Basic.UserType),
		FieldRegion: a.Basic.RegionCode, FieldPassword: "", FieldUnits: "",
		FieldCatalogFile: a.Attachments[0].FileName, FieldLicenceFile: a.Attachments[1].FileName,
	}
	for f, v := range want {
		if got := a.Value(f); got != v {
			t.Errorf("Value(%s) = %q, want %q", f, got, v)
		}
	}
	a.Basic.BusinessTermOpen = true
	if got := a.Value(FieldBusinessTerm); got != BusinessTermOpenValue {
		t.Errorf("open-ended term = %q", got)
	}
	if !strings.HasPrefix(a.Value(FieldNotice), a.NoticeAccepted.Format("2006-01-02")) {
		t.Errorf("notice = %q", a.Value(FieldNotice))
	}
}
