package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/regbot/regbot/adapters/marketing/marketingsim"
	"github.com/regbot/regbot/internal/devstack"
)

// TestSecretsNeverStored runs a full registration with every log line
// captured, dumps Redis after every step and Postgres at the end, and
// looks for the ID number, the password and the query passwords the
// applicant typed: none may appear anywhere (the ID number is stored
// sealed, the password sealed to the exchange and, only until its
// confirmation, as a keyed digest, query passwords not at all). The digest
// must be in the draft between the two password messages and gone after.
func TestSecretsNeverStored(t *testing.T) {
	w := NewWorld(t)
	accounts := marketingsim.DefaultAccounts()
	for i := range accounts {
		if accounts[i].Number == "5000000001" {
			accounts[i].QueryPassword = secretQueryPW
		}
	}
	srv := httptest.NewServer(marketingsim.New(accounts))
	t.Cleanup(srv.Close)
	w.Cfg.MarketingURL = srv.URL
	logs := &lockedBuffer{}
	w.Logs = logs
	w.Boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}

	secrets := map[string]string{"ID number": IDNumber, "password": Password,
		"query password": secretQueryPW, "wrong query password": wrongQueryPW}
	check := func(where, text string) {
		t.Helper()
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("%s contains the %s", where, name)
			}
		}
	}
	for i, step := range RegistrationSteps(w) {
		if step == nil {
			w.Say(wrongQueryPW, "查询密码不正确")
			check("redis after a wrong query password", RedisDump(t, w.Cfg.RedisURL))
			w.Say(secretQueryPW, "共有 3 个计量点")
		} else {
			step()
		}
		dump := RedisDump(t, w.Cfg.RedisURL)
		check("redis after step "+strconv.Itoa(i), dump)
		if i == 9 && !strings.Contains(dump, "500***********0011") {
			t.Fatalf("the redis dump lacks the draft's masked ID number: the check would prove nothing:\n%s", dump)
		}
		// Step 9 is the password, step 10 its confirmation.
		if digest := strings.Contains(dump, `"pend":"d1$`); digest != (i == 9) {
			t.Fatalf("after step %d the draft holds the password's digest: %v", i, digest)
		}
	}
	w.Await(ReviewChat, map[int]string{}, "新注册申请")
	w.stop()

	if !strings.Contains(logs.String(), `"level":"DEBUG"`) {
		t.Fatal("no debug log lines captured: the check would prove nothing")
	}
	check("the logs", logs.String())
	check("postgres", PGDump(t, w.Cfg.DatabaseURL))
	// The bot said nothing secret either, and every message carrying
	// one was deleted.
	for _, m := range w.TG.Messages(w.User.ID) {
		check("a bot message", m.Text)
	}
	for _, m := range w.TG.Messages(ReviewChat) {
		check("a review-group message", m.Text)
	}
}

// TestDataKeyRotation seals an application under key k1, then opens it
// with DATA_KEYS=k2:…,k1:… (k2 active): the export with secrets still
// shows the ID number. With k2 alone it cannot.
func TestDataKeyRotation(t *testing.T) {
	w := NewWorld(t)
	w.Boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range RegistrationSteps(w) {
		if step == nil {
			w.QueryStep()
		} else {
			step()
		}
	}
	w.stop()

	k2 := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	bin := BuildRegbot(t)
	export := func(dataKeys string) (string, error) {
		cmd := exec.Command(bin, "applications", "export", "--with-secrets")
		cmd.Env = []string{"DATABASE_URL=" + w.Cfg.DatabaseURL, "DATA_KEYS=" + dataKeys, "ID_HASH_KEY=" + w.Cfg.IDHashKey}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, errOut.String())
		}
		return out.String(), err
	}
	if out, err := export("k2:" + k2 + "," + w.Cfg.DataKeys); err != nil || !strings.Contains(out, IDNumber) {
		t.Fatalf("after rotation to k2 (k1 kept): err %v, ID number shown: %v", err, strings.Contains(out, IDNumber))
	}
	if out, err := export("k2:" + k2); err == nil && strings.Contains(out, IDNumber) {
		t.Fatal("opened a k1-sealed ID number without k1")
	}
}

// TestFailedDeletionLoggedWithoutSecret: when Telegram refuses to delete
// the message carrying the ID number, the failure is logged, without the
// ID number, and the registration goes on.
func TestFailedDeletionLoggedWithoutSecret(t *testing.T) {
	w := NewWorld(t)
	logs := &lockedBuffer{}
	w.Logs = logs
	w.Boot()
	if err := devstack.LoadSampleCatalog(context.Background(), w.Main.DB); err != nil {
		t.Fatal(err)
	}
	for _, step := range RegistrationSteps(w)[:8] { // up to the ID number question
		step()
	}
	w.TG.FailNextIn("deleteMessage", w.User.ID, 1, 400, 0)
	upd := w.Say(IDNumber, "已记录身份证号码")
	if !w.TG.WaitFor(WaitTime, func() bool { return strings.Contains(logs.String(), "deleteMessage") }) {
		t.Fatal("the failed deletion was not logged")
	}
	if contains(w.TG.Deleted(w.User.ID), w.TG.UserMessageID(upd)) {
		t.Fatal("the fault did not hit the deletion")
	}
	if strings.Contains(logs.String(), IDNumber) {
		t.Fatal("the log of the failed deletion contains the ID number")
	}
	w.Say(Password, "再次输入密码")
}
