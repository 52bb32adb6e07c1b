package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbot/regbot/internal/e2e"
)

// TestConsoleOnAFreshMachine is `make run` with nothing configured: the
// development binary starts its local stack in a DATA_DIR that does not
// exist yet, runs the console chat on stdin and stdout, and stops
// everything it started when stdin ends.
func TestConsoleOnAFreshMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local Redis and Postgres")
	}
	bin := e2e.BuildBinary(t, t.TempDir(), "regbot-dev")
	// Not t.TempDir: as root, Postgres runs as user postgres, which must
	// reach the data directory.
	parent, err := os.MkdirTemp("", "regbot-dev-console-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(parent, "data")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATA_DIR=" + dataDir}
	cmd.Stdin = strings.NewReader("/start\n#1\n")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("regbot-dev: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"开始注册", "注册须知"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the console does not show %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "local stack in "+dataDir) {
		t.Errorf("stderr does not say where the local stack is:\n%s", errOut.String())
	}
	for _, f := range []string{"dev-keys.json", "regbot.log", "redis", "postgres"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("DATA_DIR lacks %s: %v", f, err)
		}
	}
	// Nothing the run started is left: the servers' pid files are gone
	// with them.
	if out, _ := exec.Command("pgrep", "-f", dataDir).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("processes left running in %s: %s", dataDir, out)
	}
}

// TestConsoleFormLink: on the local stack the console prints, under the
// login question, a link to the Mini App form signed for the console user
// with this run's development token; the form opens with it, and a save
// from the browser appears in the console.
func TestConsoleFormLink(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local Redis and Postgres")
	}
	bin := e2e.BuildBinary(t, t.TempDir(), "regbot-dev")
	parent, err := os.MkdirTemp("", "regbot-dev-form-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATA_DIR=" + filepath.Join(parent, "data")}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(want string) string {
		t.Helper()
		for line := range lines {
			if strings.Contains(line, want) {
				return line
			}
		}
		t.Fatalf("the console never showed %q\nstderr:\n%s", want, errOut.String())
		return ""
	}
	io.WriteString(stdin, "#1\n#1\n#1\n渝新机械\n#1\n") // start, agree, electricity user, search, choose
	line := waitFor("#tgWebAppData=")
	link := line[strings.Index(line, "http://"):]
	page, fragment, _ := strings.Cut(link, "#")
	launch, err := url.ParseQuery(fragment)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", page+"api/form", nil)
	req.Header.Set("Authorization", "tma "+launch.Get("tgWebAppData"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "重庆渝新机械制造有限公司") {
		t.Fatalf("the console's link opens %d %s", resp.StatusCode, body)
	}
	// A save from the browser is shown in the console, with the next question.
	save := `{"values":{"login_name":"cqyxjx2026","user_name":"重庆渝新交易员","legal_rep_id":"11010519491231002x",
		"password":"Yx#2026pass","legal_rep_name":"王五","registered_capital":"500","founded_on":"2008-03-18",
		"business_term":"open","industry":"通用设备制造业","user_type":"retail","region":"500103",
		"registered_address":"重庆市渝中区某某街18号","bank_name":"中国建设银行","bank_account_name":"重庆渝新机械制造有限公司",
		"bank_account_number":"5000123456789012","contact_person":"赵六","contact_position":"能源经理",
		"mobile":"19923456789","email":"zhao6@example.com","mailing_address":"重庆市渝中区某某街18号","postcode":"400010"},
		"base":{},"again":{"password":"Yx#2026pass"},"confirm":["user_type"]}`
	req, _ = http.NewRequest("POST", page+"api/save", strings.NewReader(save))
	req.Header.Set("Authorization", "tma "+launch.Get("tgWebAppData"))
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	waitFor("已通过表单保存")
	waitFor("准入目录文件")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("regbot-dev: %v\nstderr:\n%s", err, errOut.String())
	}
}
