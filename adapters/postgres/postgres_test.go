package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/regbot/regbot/adapters/postgres"
	"github.com/regbot/regbot/domain"
	"github.com/regbot/regbot/internal/devstack"
)

func TestMain(m *testing.M) { devstack.Main(m) }

// MustOpen opens a migrated database of its own on the shared test server.
func MustOpen(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), devstack.MustPostgres(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

// MustPut stores data as a blob.
func MustPut(tb testing.TB, db *postgres.DB, data []byte) string {
	tb.Helper()
	key, err := db.Blobs().Put(context.Background(), data)
	if err != nil {
		tb.Fatalf("Put: %v", err)
	}
	return key
}

// newApp returns a complete submitted application whose attachments are
// stored in db; n makes the login name, metering points and documents
// distinct between applications of one test.
func newApp(tb testing.TB, db *postgres.DB, n int) *domain.Application {
	tb.Helper()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	catalogPDF := []byte(fmt.Sprintf("%%PDF-1.4 catalog %d", n))
	licencePDF := []byte(fmt.Sprintf("%%PDF-1.4 licence %d", n))
	return &domain.Application{
		Status:         domain.StatusSubmitted,
		ChatID:         int64(1000 + n),
		MemberType:     domain.MemberElectricityUser,
		NoticeAccepted: time.Date(2026, 11, 25, 1, 2, 3, 456789000, time.UTC),
		ConsentVersion: "sha256:0123456789abcdef",
		Account: domain.Account{
			LoginName: fmt.Sprintf("cqyxjx%02d", n),
			UserName:  "重庆渝新机械制造有限公司交易员",
			LegalRepID: domain.SealedID{
				KeyID:      "k1",
				Ciphertext: []byte{1, 2, 3, byte(n)},
				Hash:       []byte{9, 8, 7, byte(n)},
				Masked:     "500***********0011",
			},
			SealedPassword: []byte("age-encryption.org/v1 sealed to the exchange"),
		},
		Basic: domain.Basic{
			EnterpriseName:    fmt.Sprintf("重庆渝新机械制造有限公司%d", n),
			CreditCode:        "91500103MA5UAEH71T",
			CreditCodeFlagged: n%2 == 1,
			LegalRepName:      "张三",
			RegisteredCapital: "1000.5",
			FoundedOn:         day(2012, 3, 15),
			BusinessTermUntil: day(2042, 3, 14),
			Industry:          "通用设备制造业",
			UserType:          domain.UserDirect,
			RegionCode:        "500103",
			RegisteredAddress: "重庆市渝中区解放碑街道民权路1号",
		},
		Business: domain.Business{
			BankName:      "中国工商银行重庆解放碑支行",
			AccountName:   "重庆渝新机械制造有限公司",
			AccountNumber: "3100020109200123456",
		},
		Contact: domain.Contact{
			Person:         "李四",
			Position:       "能源主管",
			Mobile:         "13800138000",
			Email:          "energy@example.com",
			Landline:       "023-63001234",
			MailingAddress: "重庆市渝中区民权路1号",
			Postcode:       "400010",
		},
		Attachments: []domain.Attachment{
			{Kind: domain.AttachmentLicence, FileName: "营业执照.pdf", Size: int64(len(licencePDF)),
				SHA256: MustPut(tb, db, licencePDF), BlobKey: MustPut(tb, db, licencePDF), FileID: "BQACAgUAAx0"},
			{Kind: domain.AttachmentCatalog, FileName: "准入目录.pdf", Size: int64(len(catalogPDF)),
				SHA256: MustPut(tb, db, catalogPDF), BlobKey: MustPut(tb, db, catalogPDF)},
		},
		Accounts: []domain.MarketingAccount{
			{Number: fmt.Sprintf("50001234%02d", n), Units: []domain.Unit{
				{MeteringPoint: domain.MeteringPoint{ID: fmt.Sprintf("MP%02d-1", n), Name: "一号车间",
					Address: "渝中区民权路1号", VoltageCode: "AC00101", TariffCategory: "large_industrial"},
					UnitType: "large_industrial", HighEnergy: domain.HighEnergyNone},
				{MeteringPoint: domain.MeteringPoint{ID: fmt.Sprintf("MP%02d-2", n), Name: "二号车间",
					Address: "渝中区民权路3号", VoltageCode: "AC00351", TariffCategory: "general_industrial"},
					UnitType: "general_industrial", HighEnergy: "steel"},
			}},
			{Number: fmt.Sprintf("50005678%02d", n), Units: []domain.Unit{
				{MeteringPoint: domain.MeteringPoint{ID: fmt.Sprintf("MP%02d-3", n), Name: "办公楼",
					Address: "渝中区民权路5号", VoltageCode: "AC00101", TariffCategory: "commercial"},
					UnitType: "commercial", HighEnergy: domain.HighEnergyNone},
			}},
		},
		SubmittedAt: time.Date(2026, 11, 25, 17, 30, 0, 123456000, time.UTC),
	}
}

// MustSubmit submits app under key and expects a new application.
func MustSubmit(tb testing.TB, db *postgres.DB, key string, app *domain.Application) (int64, string) {
	tb.Helper()
	id, ref, created, err := db.Submit(context.Background(), key, app)
	if err != nil || !created {
		tb.Fatalf("Submit(%q) = %d, %q, created=%v, %v; want a new application", key, id, ref, created, err)
	}
	return id, ref
}

func wantCode(tb testing.TB, err error, code domain.Code, field domain.Field) {
	tb.Helper()
	var de *domain.Error
	switch {
	case domain.ErrorCode(err) != code:
		tb.Fatalf("error = %v; want code %s", err, code)
	case field != "" && (!errors.As(err, &de) || de.Field != field):
		tb.Fatalf("error = %v; want field %s", err, field)
	}
}

func TestOpenMigratesOnceAndAgain(t *testing.T) {
	ctx := context.Background()
	dsn := devstack.MustPostgres(t)

	// Replicas starting at once: the advisory lock makes them take turns.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(ctx, dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Open %d: %v", i, err)
		}
	}

	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open on a migrated database: %v", err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var version int64
	if err := db.QueryRowForTest(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	if version != int64(len(files)) {
		t.Errorf("schema version = %d, want %d (one per migration file)", version, len(files))
	}

	// The down migrations work too (with data in the tables).
	if err := devstack.LoadSampleCatalog(ctx, db); err != nil {
		t.Fatal(err)
	}
	MustSubmit(t, db, "k", newApp(t, db, 1))
	if err := db.MigrateDownAndUpForTest(ctx); err != nil {
		t.Fatalf("down and up again: %v", err)
	}
	if regions, err := db.Regions(ctx); err != nil || len(regions) != 38 {
		t.Errorf("after down and up: %d regions, %v", len(regions), err)
	}
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	_, err := postgres.Open(ctx, "postgres://postgres@127.0.0.1:1/regbot?connect_timeout=5")
	wantCode(t, err, domain.CodeUnavailable, "")
}

func TestOpenBadDSNHidesIt(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:s3cret@[::1/db")
	if err == nil {
		t.Fatal("Open accepted a broken DSN")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Errorf("error %q shows the password", got)
	}
}

func TestRegions(t *testing.T) {
	db := MustOpen(t)
	regions, err := db.Regions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 38 {
		t.Fatalf("%d regions, want 38", len(regions))
	}
	first, last := regions[0], regions[len(regions)-1]
	if first != (domain.Region{Code: "500101", Name: "万州区", Kind: "市辖区"}) {
		t.Errorf("first region = %+v", first)
	}
	if last != (domain.Region{Code: "500243", Name: "彭水苗族土家族自治县", Kind: "自治县"}) {
		t.Errorf("last region = %+v", last)
	}
	for i := 1; i < len(regions); i++ {
		if regions[i-1].Code >= regions[i].Code {
			t.Errorf("regions not ordered by code at %d: %s, %s", i, regions[i-1].Code, regions[i].Code)
		}
	}
}

func TestBlobs(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	blobs := db.Blobs()
	data := []byte("%PDF-1.7 营业执照")
	key, err := blobs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); key != hex.EncodeToString(sum[:]) {
		t.Errorf("key = %q, want the hex SHA-256 of the data", key)
	}
	again, err := blobs.Put(ctx, data)
	if err != nil || again != key {
		t.Errorf("second Put = %q, %v; want %q", again, err, key)
	}
	got, err := blobs.Get(ctx, key)
	if err != nil || string(got) != string(data) {
		t.Errorf("Get = %q, %v; want %q", got, err, data)
	}
	empty, err := blobs.Put(ctx, nil)
	if err != nil {
		t.Fatalf("Put(nil): %v", err)
	}
	if got, err := blobs.Get(ctx, empty); err != nil || len(got) != 0 {
		t.Errorf("Get(empty) = %q, %v", got, err)
	}
	_, err = blobs.Get(ctx, "0000000000000000000000000000000000000000000000000000000000000000")
	wantCode(t, err, domain.CodeNotFound, "")
}
