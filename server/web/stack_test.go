package web_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/testenv"
)

// screenshotPath is where TestOverviewSendPauseResume saves its screenshot
// when PACER_UPDATE_SCREENSHOT=1; otherwise it goes to a temporary folder,
// so a test run leaves the work tree unchanged.
const screenshotPath = "../../docs/overview.png"

// progressValue returns the progress bar's aria-valuenow, failing the test
// when it is not a number.
func progressValue(b *browser) float64 {
	b.t.Helper()
	raw := b.attr("#progress", "aria-valuenow")
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		b.t.Fatalf("progress bar aria-valuenow = %q, want a number", raw)
	}
	return v
}

// delivered returns the Delivered count the overview shows.
func delivered(b *browser) int {
	b.t.Helper()
	raw := b.text("#count-delivered")
	n, err := strconv.Atoi(strings.ReplaceAll(raw, ",", ""))
	if err != nil {
		b.t.Fatalf("Delivered count = %q, want a number", raw)
	}
	return n
}

// waitSteady waits until the Delivered count has not changed for quiet and
// returns it, failing the test after timeout.
func waitSteady(b *browser, quiet, timeout time.Duration) int {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	last, since := delivered(b), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		n := delivered(b)
		if n != last {
			last, since = n, time.Now()
			continue
		}
		if time.Since(since) >= quiet {
			return n
		}
	}
	b.t.Fatalf("Delivered count still changing %s after the pause (last %d)", timeout, last)
	return 0
}

func TestOverviewSendPauseResume(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	sink.DataDelay = 5 * time.Millisecond
	listID, rep := s.ImportList(stacktest.SubscribersCSV(3000, "example.com"))
	if rep.Created != 3000 {
		t.Fatalf("import created %d subscribers, want 3000", rep.Created)
	}
	// At 200 sends per second the campaign takes about 15 s, long enough to
	// read the bar mid-send and to pause it.
	serverID := s.AddServer(sink.Port, 200, 4)
	var campaign struct {
		ID int64 `json:"id"`
	}
	s.Do("POST", "/api/campaigns", map[string]any{
		"name": "Spring newsletter", "subject": "Spring news for {{ .Subscriber.Name }}",
		"from_name": "Pacer news", "from_email": "news@example.org",
		"html_body": `<p>Hi {{ .Subscriber.Name }}, <a href="https://example.com/spring">see what is new</a>.</p>`,
		"text_body": "Hi {{ .Subscriber.Name }}, see https://example.com/spring",
		"list_ids":  []int64{listID}, "server_ids": []int64{serverID}, "batch_size": 500,
	}, &campaign)
	id := campaign.ID

	b := newBrowser(t)
	b.open(s.URL + "/")
	b.waitFor("login form", `!document.querySelector('#login').hidden`, 10*time.Second)
	b.typeText("#login-token", s.API.Token)
	b.click("#login-form button[type=submit]")
	b.click(fmt.Sprintf(`#campaign-list a[data-id="%d"]`, id))
	b.waitText("#campaign-status", "Draft", 10*time.Second)

	b.click("#action-send")
	b.waitFor("progress strictly between 0 and 100 while Sending",
		`document.querySelector('#campaign-status').textContent === 'Sending' &&
		 +document.querySelector('#progress').getAttribute('aria-valuenow') > 0 &&
		 +document.querySelector('#progress').getAttribute('aria-valuenow') < 100`, 60*time.Second)
	if v := progressValue(b); v <= 0 || v >= 100 {
		t.Errorf("progress while Sending = %v, want strictly between 0 and 100", v)
	}
	b.waitFor("progress at 15% and the chart (or No report yet) drawn, for the screenshot",
		`+document.querySelector('#progress').getAttribute('aria-valuenow') >= 15 &&
		 document.querySelector('#timeline svg, #timeline .no-report')`, 30*time.Second)
	saveScreenshot(t, b.screenshot())

	b.click("#action-pause")
	b.waitText("#campaign-status", "Paused", 30*time.Second)
	// Sends already handed to the SMTP server finish after the pause.
	paused := waitSteady(b, 2*time.Second, 20*time.Second)
	time.Sleep(2 * time.Second)
	if n := delivered(b); n != paused {
		t.Errorf("Delivered grew from %d to %d while Paused", paused, n)
	}
	if paused >= 3000 {
		t.Fatalf("all %d sends were delivered before the pause took effect; the test needs a slower send", paused)
	}
	if got := b.text("#campaign-status"); got != "Paused" {
		t.Errorf("status badge = %q after the pause, want Paused", got)
	}
	var listed string
	b.eval(fmt.Sprintf(`document.querySelector('#campaign-list a[data-id="%d"] .badge').textContent`, id), &listed)
	if listed != "Paused" {
		t.Errorf("campaign list badge = %q, want Paused", listed)
	}

	b.click("#action-resume")
	b.waitText("#campaign-status", "Done", 2*time.Minute)
	if got := b.text("#progress-text"); got != "Delivered 3,000 / 3,000" {
		t.Errorf("progress text when Done = %q, want %q", got, "Delivered 3,000 / 3,000")
	}
	if v := progressValue(b); v != 100 {
		t.Errorf("progress when Done = %v, want 100", v)
	}
	if got := len(sink.CountByRecipient()); got != 3000 {
		t.Errorf("SMTP server got mail for %d recipients, want 3000", got)
	}
}

// saveScreenshot writes the PNG to docs/overview.png when
// PACER_UPDATE_SCREENSHOT=1, and to a temporary file otherwise.
func saveScreenshot(t *testing.T, png []byte) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot is not a PNG (starts with %q)", png[:min(len(png), 8)])
	}
	path := filepath.Join(t.TempDir(), "overview.png")
	if os.Getenv("PACER_UPDATE_SCREENSHOT") == "1" {
		path = screenshotPath
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
	}
}

func TestImportAndCreateCampaign(t *testing.T) {
	s := stacktest.New(t)
	sink := testenv.NewSMTPServer(t, nil)
	serverID := s.AddServer(sink.Port, 0, 2)
	csv := "email,name,city\n" +
		"ada@example.com,Ada,London\n" +
		"not-an-address,Broken,Nowhere\n" +
		"grace@example.com,Grace,Arlington\n" +
		"ADA@example.com,Ada L.,London\n"
	csvPath := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.open(s.URL + "/#token=" + s.API.Token)
	b.waitText("#view h1", "No campaigns yet", 10*time.Second)

	b.click(`#main-nav a[href="#/import"]`)
	b.waitFor("import form", `document.querySelector('#import-form')`, 10*time.Second)
	b.typeText("#import-list-name", "Spring customers")
	b.do("choose the CSV file", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{csvPath}))
	b.click("#import-form button[type=submit]")
	b.waitText("#import-result", "Import result", 30*time.Second)

	for id, want := range map[string]string{"rows": "3", "created": "2", "updated": "0", "duplicates": "1", "invalid": "1"} {
		if got := b.text("#import-" + id); got != want {
			t.Errorf("import %s = %q, want %q", id, got, want)
		}
	}
	if got := b.text("#upload-percent"); got != "100%" {
		t.Errorf("upload progress = %q, want 100%%", got)
	}
	var rowErrors [][]string
	b.eval(`[...document.querySelectorAll('#row-errors tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`, &rowErrors)
	if len(rowErrors) != 1 {
		t.Fatalf("row errors shown = %v, want one for line 3; result %q", rowErrors, b.text("#import-result"))
	}
	if row := rowErrors[0]; row[0] != "3" || row[1] != "not-an-address" || row[2] == "" {
		t.Errorf("row error = %q, want line 3, email not-an-address and a reason", row)
	}
	var duplicates [][]string
	b.eval(`[...document.querySelectorAll('#import-result table')].find((t) => t.caption.textContent === 'Duplicate addresses')
		?.querySelectorAll('tbody tr').values().map((tr) => [...tr.cells].map((td) => td.textContent)).toArray() ?? []`, &duplicates)
	if len(duplicates) != 1 || !strings.EqualFold(duplicates[0][0], "ada@example.com") || duplicates[0][1] != "2, 5" {
		t.Errorf("duplicate groups shown = %q, want ada@example.com on lines 2, 5", duplicates)
	}

	var lists []struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Subscribers int64  `json:"subscribers"`
	}
	s.Do("GET", "/api/lists", nil, &lists)
	if len(lists) != 1 || lists[0].Name != "Spring customers" || lists[0].Subscribers != 2 {
		t.Fatalf("lists = %+v, want one list Spring customers with 2 subscribers", lists)
	}
	listID := lists[0].ID

	b.click(`#main-nav a[href="#/new"]`)
	b.waitFor("campaign form", `document.querySelector('#campaign-form')`, 10*time.Second)
	b.typeText("#campaign-name", "Spring launch")
	b.typeText("#campaign-subject", "Hello {{ .Subscriber.Name }}")
	b.typeText("#campaign-from-name", "Pacer news")
	b.typeText("#campaign-from-email", "news at example.org")
	b.typeText("#campaign-html", "<p>Hi {{ .Subscriber.Name }}</p>")
	b.typeText("#campaign-text", "Hi {{ .Subscriber.Name }}")
	b.click(fmt.Sprintf("#list-%d", listID))
	b.click(fmt.Sprintf("#server-%d", serverID))
	b.click("#campaign-form button[type=submit]")
	b.waitText("#alert", "Create campaign failed: from_email", 10*time.Second)

	b.do("clear the from address", chromedp.Evaluate[chromedp.Void](`document.querySelector('#campaign-from-email').value = ''`))
	b.typeText("#campaign-from-email", "news@example.org")
	b.click("#campaign-form button[type=submit]")
	b.waitText("#campaign-status", "Draft", 10*time.Second)
	if got := b.text("#campaign-title"); got != "Spring launch" {
		t.Errorf("campaign title = %q, want Spring launch", got)
	}
	if got := b.text("#alert"); got != "" {
		t.Errorf("alert after a successful create = %q, want it cleared", got)
	}

	var campaigns []struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		FromName  string  `json:"from_name"`
		ListIDs   []int64 `json:"list_ids"`
		ServerIDs []int64 `json:"server_ids"`
	}
	s.Do("GET", "/api/campaigns", nil, &campaigns)
	if len(campaigns) != 1 {
		t.Fatalf("campaigns = %+v, want the one created through the page", campaigns)
	}
	c := campaigns[0]
	if c.Name != "Spring launch" || c.FromName != "Pacer news" {
		t.Errorf("campaign = %+v, want name Spring launch from Pacer news", c)
	}
	if !slices.Equal(c.ListIDs, []int64{listID}) || !slices.Equal(c.ServerIDs, []int64{serverID}) {
		t.Errorf("campaign lists %v and servers %v, want [%d] and [%d]", c.ListIDs, c.ServerIDs, listID, serverID)
	}
	var hash string
	b.eval(`location.hash`, &hash)
	if want := fmt.Sprintf("#/campaigns/%d", c.ID); hash != want {
		t.Errorf("address fragment = %q, want %q", hash, want)
	}
}
