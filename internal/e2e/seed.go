package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/adapters/secrets"
	"github.com/regbot/regbot/conversation/conversationtest"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/app"
)

// SeedApplication stores a complete application n (submitted now) with
// its ID number sealed by vault and returns it as stored.
func SeedApplication(tb testing.TB, db *postgres.DB, vault *secrets.Vault, n int, userType domain.UserType) *domain.Application {
	tb.Helper()
	ctx := context.Background()
	id, err := vault.SealID("500103197001010011")
	if err != nil {
		tb.Fatal(err)
	}
	sealed, err := vault.SealPassword(Password)
	if err != nil {
		tb.Fatal(err)
	}
	att := func(kind domain.AttachmentKind, name string) domain.Attachment {
		data := conversationtest.PDF(fmt.Sprintf("%s %d", kind, n))
		key, err := db.Blobs().Put(ctx, data)
		if err != nil {
			tb.Fatal(err)
		}
		return domain.Attachment{Kind: kind, FileName: name, Size: int64(len(data)), SHA256: key, BlobKey: key}
	}
	app := &domain.Application{
		ChatID:         int64(9000 + n),
		MemberType:     domain.MemberElectricityUser,
		NoticeAccepted: time.Now(),
		Account: domain.Account{LoginName: fmt.Sprintf("cqseed%02d", n), UserName: "种子交易员", LegalRepID: id,
			SealedPassword: sealed},
		Basic: domain.Basic{EnterpriseName: fmt.Sprintf("重庆种子%d号机械有限公司", n), CreditCode: "91500103MA5UAEH71T",
			LegalRepName: "张三", RegisteredCapital: "500", FoundedOn: time.Date(2010, 5, 20, 0, 0, 0, 0, time.UTC),
			BusinessTermOpen: true, Industry: "=通用设备制造业", UserType: userType, RegionCode: "500105",
			RegisteredAddress: "重庆市江北区某某路8号"},
		Business: domain.Business{BankName: "中国工商银行重庆江北支行", AccountName: fmt.Sprintf("重庆种子%d号机械有限公司", n),
			AccountNumber: "3100021109024412345"},
		Contact: domain.Contact{Person: "李四", Position: "能源主管", Mobile: "13800138000", Email: "lisi@example.com",
			MailingAddress: "重庆市江北区某某路8号", Postcode: "400020"},
		Attachments: []domain.Attachment{att(domain.AttachmentCatalog, "准入目录.pdf"), att(domain.AttachmentLicence, "营业执照.pdf")},
		Accounts: []domain.MarketingAccount{{Number: fmt.Sprintf("60000000%02d", n), Units: []domain.Unit{{
			MeteringPoint: domain.MeteringPoint{ID: fmt.Sprintf("60000000%02d001", n), Name: "1号厂房", Address: "江北区某某路8号",
				VoltageCode: "AC00101", TariffCategory: "large_industrial"},
			UnitType: "large_industrial", HighEnergy: domain.HighEnergyNone}}}},
	}
	if err := app.Submit(time.Now()); err != nil {
		tb.Fatal(err)
	}
	if _, _, _, err := db.Submit(ctx, fmt.Sprint("seed-", n), app); err != nil {
		tb.Fatal(err)
	}
	stored, err := db.Get(ctx, app.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return stored
}

// TestVault is the vault of TestDataKeys and TestKey, sealing passwords to
// TestRecipient: the one the world's Main seals with.
func TestVault(tb testing.TB) *secrets.Vault {
	tb.Helper()
	v, err := app.Vault(app.Config{DataKeys: TestDataKeys, IDHashKey: TestKey, PlatformRecipient: TestRecipient})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
