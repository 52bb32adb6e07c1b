package conversationtest

import (
	"testing"

	"github.com/regbot/regbot/domain"
)

func TestPDFValid(t *testing.T) {
	if _, err := domain.NewPDFAttachment(domain.AttachmentLicence, "a.PDF", PDF("hello")); err != nil {
		t.Fatal(err)
	}
}
