package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/activities"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/stacktest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

// TestBounceEndToEnd sends a campaign, then delivers a DSN for one
// recipient to the VERP return path of their message with swaks. The
// subscriber must be bounced, the campaign report must show it, and the
// next campaign to the list must skip them.
func TestBounceEndToEnd(t *testing.T) {
	swaks := requireSwaks(t)
	s := stacktest.New(t)
	b := s.StartBounces(inbound.Config{})
	sink := testenv.NewSMTPServer(t, nil)
	listID, _ := s.ImportList("email,name,city\nann@example.com,Ann,Oslo\nbob@example.com,Bob,Rome\ncid@example.com,Cid,Lima\n")
	server := s.AddServer(sink.Port, 0, 2)
	first := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(first)
	s.WaitStatus(first, "Done", 2*time.Minute)

	var sent testenv.Received
	for _, m := range sink.Messages() {
		if m.To == "bob@example.com" {
			sent = m
		}
	}
	if !strings.HasPrefix(sent.From, "bounces+") || !strings.HasSuffix(sent.From, "@"+b.Domain) {
		t.Fatalf("message to bob has return path %q, want a VERP address on %s", sent.From, b.Domain)
	}
	report := postfixDSN("bob@example.com", "5.1.1", "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", sent.Data)
	file := filepath.Join(t.TempDir(), "dsn.eml")
	if err := os.WriteFile(file, report, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(swaks, "--server", b.Addr, "--from", "<>", "--to", sent.From, "--data", "@"+file).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	row, err := s.DB.GetInbound(context.Background(), s.WaitInbound(30*time.Second).ID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != store.InboundProcessed || row.EnvelopeRecipient != sent.From {
		t.Errorf("inbound row = %s for %q, want processed for %q", row.Status, row.EnvelopeRecipient, sent.From)
	}
	bob, err := s.DB.FindSubscriberByKey(context.Background(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if bob.Status != store.SubscriberBounced {
		t.Errorf("bob is %s, want bounced", bob.Status)
	}
	checkBounceReport(t, s, first)
	checkBounceAPI(t, s, row)

	second := s.CreateCampaign(listID, []int64{server}, 100)
	s.Send(second)
	c := s.WaitStatus(second, "Done", 2*time.Minute)
	if c.Counts.Skipped != 1 || c.Counts.Delivered != 2 {
		t.Errorf("second campaign counts = %+v, want 1 skipped and 2 delivered", c.Counts)
	}
	got := sink.CountByRecipient()
	if got["bob@example.com"] != 1 || got["ann@example.com"] != 2 || got["cid@example.com"] != 2 {
		t.Errorf("messages per recipient = %v, want bob 1 (first campaign only), ann and cid 2", got)
	}
}

func checkBounceReport(t *testing.T, s *stacktest.Stack, campaignID int64) {
	t.Helper()
	var rep store.Report
	s.Do("GET", fmt.Sprintf("/api/campaigns/%d/report", campaignID), nil, &rep)
	if rep.Bounces.Hard != 1 || rep.Bounces.Soft != 0 {
		t.Errorf("report bounces = %+v, want hard 1", rep.Bounces)
	}
	if len(rep.Recent.Bounces) != 1 || rep.Recent.Bounces[0].Email != "bob@example.com" ||
		rep.Recent.Bounces[0].Type != "hard" || rep.Recent.Bounces[0].Status != "5.1.1" {
		t.Errorf("recent bounces = %+v, want bob's hard 5.1.1", rep.Recent.Bounces)
	}
}

// checkBounceAPI reads the processed message back through the API.
func checkBounceAPI(t *testing.T, s *stacktest.Stack, row store.InboundMessage) {
	t.Helper()
	var list []store.InboundMessage
	s.Do("GET", "/api/bounces?status=processed", nil, &list)
	if len(list) != 1 || list[0].ID != row.ID {
		t.Errorf("GET /api/bounces?status=processed = %+v, want row %d", list, row.ID)
	}
	var detail struct {
		Status   string                     `json:"status"`
		Verdicts []activities.StoredVerdict `json:"verdicts"`
	}
	s.Do("GET", fmt.Sprintf("/api/bounces/%d", row.ID), nil, &detail)
	v := detail.Verdicts
	if len(v) != 1 || v[0].MatchedBy != "return-path" || v[0].Effect != activities.EffectBounced {
		t.Errorf("GET /api/bounces/%d verdicts = %+v, want one bounced by return path", row.ID, v)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/bounces/%d/raw", s.URL, row.ID), nil)
	req.Header.Set("Authorization", "Bearer "+s.API.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "message/rfc822" || !bytes.Equal(raw, row.Raw) {
		t.Errorf("raw = %s, %d bytes; want message/rfc822 with the %d stored bytes", ct, len(raw), len(row.Raw))
	}
}

// caseDelivery is one message of the shared cases sent to the inbound
// server, and what it must change. Subscribers not named in statuses stay
// active; events lists "kind/type address" of every event recorded.
type caseDelivery struct {
	file     string
	rcpt     string // envelope recipient; empty: bounces@<bounce domain>
	status   string
	kind     string
	statuses map[string]string
	events   []string
}

// TestBounceCasesWholePath sends every message of the shared cases, with
// LF and with CRLF line endings, through the inbound SMTP server, the
// bounce workflow and the activity, and checks what the cases README
// expects. None carries an identifier of ours, so subscribers are matched
// by address; D04 and A11b are also sent to our own addresses, the only
// way their subscriber can be found.
func TestBounceCasesWholePath(t *testing.T) {
	dir := casesDir(t)
	s := stacktest.New(t)
	b := s.StartBounces(inbound.Config{})
	emails := []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
		"frank@example.net", "ivan@example.net", "laura@example.com", "nina@yahoo.example", "oscar@example.net",
		"peggy@icloud.example", "redacted@example.net"}
	listID, _ := s.ImportList("email\n" + strings.Join(emails, "\n") + "\n")
	campaign := s.CreateCampaign(listID, []int64{s.AddServer(1, 0, 1)}, 100)
	ids := map[string]int64{}
	for _, e := range emails {
		sub, err := s.DB.FindSubscriberByKey(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		ids[e] = sub.ID
	}
	peggy := s.Signer.UnsubscribeAddress(mailid.ID{CampaignID: campaign, SubscriberID: ids["peggy@icloud.example"]}, b.Domain)
	laura := s.Signer.ReturnPath(mailid.ID{CampaignID: campaign, SubscriberID: ids["laura@example.com"]}, b.Domain)
	deliveries := caseDeliveries(b.Domain, peggy, laura)

	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	for _, f := range files {
		if !slices.ContainsFunc(deliveries, func(d caseDelivery) bool { return d.file == filepath.Base(f) }) {
			t.Errorf("%s has no expectation here: add one", filepath.Base(f))
		}
	}
	for _, ending := range []string{"LF", "CRLF"} {
		t.Run(ending, func(t *testing.T) {
			for _, d := range deliveries {
				deliverCase(t, s, b, dir, d, ids, ending == "CRLF")
			}
		})
	}
}

// caseDeliveries lists what each case message must do, as the cases README
// states it. peggy is our unsubscribe address for Peggy and laura our return
// path of a message to Laura.
func caseDeliveries(domain, peggy, laura string) []caseDelivery {
	const (
		processed = store.InboundProcessed
		unmatched = store.InboundUnmatched
	)
	return []caseDelivery{
		{file: "A01.eml", status: processed, kind: "dsn", statuses: map[string]string{"alice@example.com": "bounced"},
			events: []string{"bounce/hard alice@example.com", "bounce/soft bob@example.com"}},
		{file: "A02.eml", status: processed, kind: "bounce", statuses: map[string]string{"carol@example.com": "bounced"},
			events: []string{"bounce/hard carol@example.com"}},
		{file: "A03.eml", status: processed, kind: "delay"},
		{file: "A05.eml", status: processed, kind: "dsn", statuses: map[string]string{"frank@example.net": "bounced"},
			events: []string{"bounce/hard frank@example.net"}},
		{file: "A08.eml", status: processed, kind: "auto_reply"},
		{file: "A11.eml", rcpt: "abuse@" + domain, status: processed, kind: "complaint",
			statuses: map[string]string{"laura@example.com": "complained"}, events: []string{"complaint laura@example.com"}},
		{file: "A11b.eml", rcpt: "fbl@" + domain, status: unmatched, kind: "complaint"},
		{file: "A11b.eml", rcpt: laura, status: processed, kind: "complaint",
			statuses: map[string]string{"laura@example.com": "complained"},
			events:   []string{"complaint laura@example.com", "bounce_report"}},
		{file: "B01.eml", status: processed, kind: "dsn", events: []string{"bounce/soft nina@yahoo.example"}},
		{file: "B04.eml", status: processed, kind: "dsn", events: []string{"bounce/soft oscar@example.net"}},
		{file: "D04.eml", status: unmatched, kind: "unsubscribe"},
		{file: "D04.eml", rcpt: peggy, status: processed, kind: "unsubscribe",
			statuses: map[string]string{"peggy@icloud.example": "unsubscribed"},
			events:   []string{"unsubscribe peggy@icloud.example", "bounce_report"}},
	}
}

// deliverCase sends one case message from a clean state and checks the
// stored message and its effects.
func deliverCase(t *testing.T, s *stacktest.Stack, b *stacktest.Bounces, dir string, d caseDelivery,
	ids map[string]int64, crlf bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, d.file))
	if err != nil {
		t.Fatal(err)
	}
	if d.rcpt == "" {
		d.rcpt = "bounces@" + b.Domain
	}
	resetBounceEffects(t, s)
	sendCase(t, b.Addr, d.rcpt, raw, crlf)

	row, err := s.DB.GetInbound(context.Background(), s.WaitInbound(30*time.Second).ID)
	if err != nil {
		t.Fatal(err)
	}
	name := d.file + " to " + d.rcpt
	// SendRaw turns only the last LF into CRLF, to end DATA.
	crlfs := bytes.Count(row.Raw, []byte("\r\n"))
	if !crlf && crlfs != 1 || crlf && crlfs != bytes.Count(row.Raw, []byte("\n")) {
		t.Errorf("%s: stored message has %d CRLF line endings, crlf = %v", name, crlfs, crlf)
	}
	if row.Status != d.status || row.ReportKind != d.kind {
		t.Errorf("%s: stored as %s %s (%s), want %s %s", name, row.Status, row.ReportKind, row.Reason, d.status, d.kind)
	}
	checkCaseEffects(t, s, name, ids, d)
}

// sendCase delivers a case file: with CRLF through the go-smtp client, with
// LF byte for byte, so the stored message keeps its bare LFs.
func sendCase(t *testing.T, addr, rcpt string, raw []byte, crlf bool) {
	t.Helper()
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if !crlf {
		if code, msg, err := testenv.SendRaw(addr, "", rcpt, raw); err != nil {
			t.Fatalf("LF delivery to %s: %d %s: %v", rcpt, code, msg, err)
		}
		return
	}
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("CRLF delivery to %s: %v", rcpt, err)
	}
}

func checkCaseEffects(t *testing.T, s *stacktest.Stack, name string, ids map[string]int64, d caseDelivery) {
	t.Helper()
	ctx := context.Background()
	for email, id := range ids {
		sub, err := s.DB.GetSubscriber(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := d.statuses[email]
		if want == "" {
			want = store.SubscriberActive
		}
		if sub.Status != want {
			t.Errorf("%s: %s is %s, want %s", name, email, sub.Status, want)
		}
	}
	rows, err := s.DB.Pool().Query(ctx, `
		SELECT e.kind || COALESCE('/' || (e.detail->>'type'), '') || COALESCE(' ' || s.email, '')
		FROM events e LEFT JOIN subscribers s ON s.id = e.subscriber_id ORDER BY e.id`)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		events = append(events, k)
	}
	if !slices.Equal(events, d.events) {
		t.Errorf("%s: events = %q, want %q", name, events, d.events)
	}
}

// resetBounceEffects makes every subscriber active and drops all events, so
// each case starts from the same state.
func resetBounceEffects(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	_, err := s.DB.Pool().Exec(context.Background(), `
		UPDATE subscribers SET status = 'active', status_reason = '';
		DELETE FROM events;`)
	if err != nil {
		t.Fatal(err)
	}
}

// casesDir is the shared case messages, or the copy package bounce keeps
// where the shared folder is not beside the repository.
func casesDir(t *testing.T) string {
	t.Helper()
	for _, dir := range []string{
		filepath.Join("..", "..", "..", "shared", "cases", "messages"),
		filepath.Join("..", "bounce", "testdata", "cases"),
	} {
		if files, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(files) > 0 {
			return dir
		}
	}
	t.Fatal("no case messages found")
	return ""
}

func requireSwaks(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("swaks")
	if err != nil {
		if os.Getenv("PACER_TEST_REQUIRE") == "1" {
			t.Fatal("swaks is not installed; scripts/test.sh installs it")
		}
		t.Skip("swaks is not installed; `make test` installs it")
	}
	return path
}

// postfixDSN is a Postfix delivery status notification for one recipient
// that returns the headers of the original message.
func postfixDSN(recipient, status, diagnostic string, original []byte) []byte {
	headers, _, _ := bytes.Cut(bytes.ReplaceAll(original, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	return []byte(fmt.Sprintf(`From: MAILER-DAEMON@mta.example.net (Mail Delivery System)
To: bounces@example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn1"

--dsn1
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

<%[1]s>: host mx.example.com[192.0.2.1] said: %[3]s (in reply to RCPT TO command)

--dsn1
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.example.net

Final-Recipient: rfc822; %[1]s
Action: failed
Status: %[2]s
Diagnostic-Code: smtp; %[3]s

--dsn1
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

%[4]s

--dsn1--
`, recipient, status, diagnostic, headers))
}
