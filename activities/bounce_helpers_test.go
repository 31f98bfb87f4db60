package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

const testBounceDomain = "bounces.example.org"

// bounceEnv is a migrated database with one list of subscribers, one
// campaign to it and the activities that process inbound messages.
type bounceEnv struct {
	t        *testing.T
	db       *store.DB
	acts     *Activities
	signer   *mailid.Signer
	campaign int64
	ids      map[string]int64 // subscriber id by address
}

func newBounceEnv(t *testing.T, emails ...string) *bounceEnv {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	signer, err := mailid.NewSigner([]byte("bounce-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.CreateList(ctx, "bounce test")
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	_, err = db.ImportSubscribers(ctx, list.ID, func() (store.ImportRow, bool, error) {
		if i == len(emails) {
			return store.ImportRow{}, false, nil
		}
		e := emails[i]
		i++
		return store.ImportRow{Line: i, Email: e, Key: strings.ToLower(e)}, true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	camp, err := db.CreateCampaign(ctx, store.Campaign{Name: "news", Subject: "News", FromEmail: "news@example.org",
		ListIDs: []int64{list.ID}, ServerIDs: []int64{}, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	e := &bounceEnv{t: t, db: db, signer: signer, campaign: camp.ID, ids: map[string]int64{}}
	for _, email := range emails {
		sub, err := db.FindSubscriberByKey(ctx, strings.ToLower(email))
		if err != nil {
			t.Fatal(err)
		}
		e.ids[email] = sub.ID
	}
	e.acts = &Activities{DB: db, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), Signer: signer,
		Config: Config{BounceDomain: testBounceDomain}}
	return e
}

// returnPath is the VERP address of the campaign's message to email.
func (e *bounceEnv) returnPath(email string) string {
	return e.signer.ReturnPath(mailid.ID{CampaignID: e.campaign, SubscriberID: e.ids[email]}, testBounceDomain)
}

// deliver stores raw as the SMTP server would and processes it.
func (e *bounceEnv) deliver(raw []byte, rcpt string) (InboundOutcome, store.InboundMessage) {
	e.t.Helper()
	return e.deliverMessage(store.InboundMessage{Source: store.SourceSMTP, Format: store.FormatMessage,
		EnvelopeSender: "", EnvelopeRecipient: rcpt, Raw: raw})
}

func (e *bounceEnv) deliverMessage(m store.InboundMessage) (InboundOutcome, store.InboundMessage) {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.db.SaveInbound(ctx, m)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.acts.ProcessInbound(ctx, InboundInput{InboundID: id})
	if err != nil {
		e.t.Fatalf("ProcessInbound: %v", err)
	}
	row, err := e.db.GetInbound(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return out, row
}

func (e *bounceEnv) status(email string) string {
	e.t.Helper()
	sub, err := e.db.GetSubscriber(context.Background(), e.ids[email])
	if err != nil {
		e.t.Fatal(err)
	}
	return sub.Status
}

// wantStatuses checks the status of every subscriber: those in want have
// the given one, all others are active.
func (e *bounceEnv) wantStatuses(want map[string]string) {
	e.t.Helper()
	for email := range e.ids {
		w := want[email]
		if w == "" {
			w = store.SubscriberActive
		}
		if got := e.status(email); got != w {
			e.t.Errorf("subscriber %s is %s, want %s", email, got, w)
		}
	}
}

// eventRow is one stored event, with the subscriber's address.
type eventRow struct {
	Kind       string
	CampaignID int64
	Email      string
	Detail     map[string]any
}

func (e *bounceEnv) events() []eventRow {
	e.t.Helper()
	rows, err := e.db.Pool().Query(context.Background(), `
		SELECT e.kind, COALESCE(e.campaign_id, 0), COALESCE(s.email, ''), e.detail
		FROM events e LEFT JOIN subscribers s ON s.id = e.subscriber_id ORDER BY e.id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.Kind, &r.CampaignID, &r.Email, &r.Detail); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// eventKeys summarises events as "kind/type email" strings.
func (e *bounceEnv) eventKeys() []string {
	var out []string
	for _, r := range e.events() {
		k := r.Kind
		if t, ok := r.Detail["type"].(string); ok {
			k += "/" + t
		}
		out = append(out, strings.TrimSpace(k+" "+r.Email))
	}
	return out
}

// addEvent records an earlier event of a subscriber at the given time.
func (e *bounceEnv) addEvent(email, kind, typ string, at time.Time) {
	e.t.Helper()
	err := e.db.AddEvents(context.Background(), []store.Event{{CampaignID: e.campaign, SubscriberID: e.ids[email],
		Kind: kind, Detail: map[string]any{"type": typ, "source": "smtp"}, CreatedAt: at}})
	if err != nil {
		e.t.Fatal(err)
	}
}

func storedVerdicts(t *testing.T, m store.InboundMessage) []StoredVerdict {
	t.Helper()
	var out []StoredVerdict
	if err := json.Unmarshal(m.Verdicts, &out); err != nil {
		t.Fatalf("stored verdicts %s: %v", m.Verdicts, err)
	}
	return out
}

// readCase reads a message of the shared cases, as copied for package bounce.
func readCase(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "internal", "bounce", "testdata", "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func crlf(raw []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// dsn is a Postfix delivery status notification for one recipient.
func dsn(recipient, status, diagnostic string) []byte {
	return []byte(fmt.Sprintf(`From: MAILER-DAEMON@mta.example.net (Mail Delivery System)
To: bounces@news.example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

The mail system

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mta.example.net

Final-Recipient: rfc822; %s
Action: failed
Status: %s
Diagnostic-Code: smtp; %s

--b1--
`, recipient, status, diagnostic))
}
