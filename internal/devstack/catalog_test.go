package devstack

import (
	"strings"
	"testing"

	"github.com/regbot/regbot/domain"
)

func TestSampleCatalog(t *testing.T) {
	entries, err := SampleCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 25 {
		t.Fatalf("%d sample entries, want about 30", len(entries))
	}
	var valid, flagged, none int
	names := map[string]bool{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name, "重庆") || !strings.HasSuffix(e.Name, "有限公司") || names[e.Name] {
			t.Errorf("odd or repeated name %q", e.Name)
		}
		names[e.Name] = true
		if e.CreditCode == "" {
			none++
			continue
		}
		switch code, err := domain.ParseCreditCode(e.CreditCode); {
		case err == nil && code == e.CreditCode:
			valid++
		case domain.ErrorReason(err) == domain.ReasonCreditCodeChecksum:
			flagged++
		default:
			t.Errorf("%s: credit code %s: %v", e.Name, e.CreditCode, err)
		}
	}
	if flagged != 1 || none != 2 || valid != len(entries)-3 {
		t.Errorf("%d valid, %d failing the checksum, %d without a code; want all but 3, 1, 2", valid, flagged, none)
	}
}
