package conversationtest

import (
	"testing"

	"github.com/regbot/regbot/domain"
)

func TestPDFValid(t *testing.T) {
	if _, err := domain.NewPDFAttachment(domain.AttachmentLicence, PDF("hello")); err != nil {
		t.Fatal(err)
	}
}
