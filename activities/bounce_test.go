package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
)

func TestBounceHardByReturnPath(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com", "ben@example.com")
	out, row := e.deliver(dsn("ann@example.com", "5.1.1", "550 5.1.1 user unknown"), e.returnPath("ann@example.com"))

	if out.Status != store.InboundProcessed || !out.Applied {
		t.Errorf("outcome = %+v, want processed and applied", out)
	}
	if row.Status != store.InboundProcessed || row.ReportKind != "dsn" || row.ProcessedAt == nil {
		t.Errorf("row = %s %q processed at %v", row.Status, row.ReportKind, row.ProcessedAt)
	}
	e.wantStatuses(map[string]string{"ann@example.com": store.SubscriberBounced})
	events := e.events()
	if len(events) != 2 {
		t.Fatalf("events = %+v, want a bounce and a bounce_report", events)
	}
	b := events[0]
	if b.Kind != store.EventBounce || b.Email != "ann@example.com" || b.CampaignID != e.campaign {
		t.Errorf("bounce event = %+v", b)
	}
	wantDetail := map[string]any{"type": "hard", "status": "5.1.1", "diagnostic": "550 5.1.1 user unknown",
		"reporting_mta": "mta.example.net", "source": "dsn", "inbound_id": float64(row.ID)}
	if diff := cmp.Diff(wantDetail, b.Detail); diff != "" {
		t.Errorf("bounce detail (-want +got):\n%s", diff)
	}
	if r := events[1]; r.Kind != store.EventBounceReport || r.CampaignID != e.campaign || r.Email != "" {
		t.Errorf("report event = %+v", r)
	}
	v := storedVerdicts(t, row)
	if len(v) != 1 || v[0].MatchedBy != bounce.MatchReturnPath || v[0].Effect != EffectBounced ||
		v[0].Email != "ann@example.com" || v[0].SubscriberID != e.ids["ann@example.com"] {
		t.Errorf("stored verdicts = %+v", v)
	}
}

func TestBounceSoftThreshold(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	// A soft bounce outside the 30-day window does not count; one recorded
	// at send time inside it does.
	e.addEvent("ann@example.com", store.EventBounce, "soft", time.Now().Add(-40*24*time.Hour))
	e.addEvent("ann@example.com", store.EventBounce, "soft", time.Now().Add(-time.Hour))
	full := dsn("ann@example.com", "5.2.2", "552 5.2.2 mailbox full")

	_, row := e.deliver(full, e.returnPath("ann@example.com"))
	if got := e.status("ann@example.com"); got != store.SubscriberActive {
		t.Fatalf("after 2 soft bounces in the window the subscriber is %s, want active", got)
	}
	if v := storedVerdicts(t, row); v[0].Effect != EffectCounted {
		t.Errorf("effect of the 2nd soft bounce = %q, want counted", v[0].Effect)
	}

	_, row = e.deliver(full, e.returnPath("ann@example.com"))
	if got := e.status("ann@example.com"); got != store.SubscriberBounced {
		t.Errorf("after 3 soft bounces in the window the subscriber is %s, want bounced", got)
	}
	if v := storedVerdicts(t, row); v[0].Effect != EffectBounced {
		t.Errorf("effect of the 3rd soft bounce = %q, want bounced", v[0].Effect)
	}
	sub, _ := e.db.GetSubscriber(context.Background(), e.ids["ann@example.com"])
	if want := "3 soft bounces within 30 days, the last 5.2.2: 552 5.2.2 mailbox full"; sub.StatusReason != want {
		t.Errorf("status reason = %q, want %q", sub.StatusReason, want)
	}
}

func TestBounceHardThresholdFromConfig(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	e.acts.Config.Bounces = BouncePolicy{HardThreshold: 2}
	hard := dsn("ann@example.com", "5.1.1", "550 5.1.1 user unknown")

	e.deliver(hard, e.returnPath("ann@example.com"))
	if got := e.status("ann@example.com"); got != store.SubscriberActive {
		t.Errorf("after 1 of 2 hard bounces the subscriber is %s, want active", got)
	}
	e.deliver(hard, e.returnPath("ann@example.com"))
	if got := e.status("ann@example.com"); got != store.SubscriberBounced {
		t.Errorf("after 2 of 2 hard bounces the subscriber is %s, want bounced", got)
	}
}

func TestBounceTwoRecipientsByAddress(t *testing.T) {
	for _, ending := range []string{"LF", "CRLF"} {
		t.Run(ending, func(t *testing.T) {
			e := newBounceEnv(t, "alice@example.com", "bob@example.com", "carol@example.com")
			raw := readCase(t, "A01.eml")
			if ending == "CRLF" {
				raw = crlf(raw)
			}
			_, row := e.deliver(raw, "bounces@"+testBounceDomain)

			if row.Status != store.InboundProcessed {
				t.Errorf("status = %s, want processed (reason %q)", row.Status, row.Reason)
			}
			e.wantStatuses(map[string]string{"alice@example.com": store.SubscriberBounced})
			want := []string{"bounce/hard alice@example.com", "bounce/soft bob@example.com"}
			if diff := cmp.Diff(want, e.eventKeys()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			for _, v := range storedVerdicts(t, row) {
				if v.MatchedBy != MatchAddress {
					t.Errorf("verdict for %s matched by %q, want address", v.Recipient, v.MatchedBy)
				}
			}
		})
	}
}

func TestBounceAddressMatchIgnoresCase(t *testing.T) {
	e := newBounceEnv(t, "Alice@Example.com")
	e.deliver(dsn("ALICE@EXAMPLE.COM", "5.1.1", "550 5.1.1 no such user"), "bounces@"+testBounceDomain)
	if got := e.status("Alice@Example.com"); got != store.SubscriberBounced {
		t.Errorf("subscriber is %s, want bounced", got)
	}
}

func TestBounceIdentityWinsOverAddress(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com", "old@example.com")
	// Ann's mailbox forwards to an address that is also subscribed: the
	// DSN names the forward target, our return path names Ann.
	e.deliver(dsn("old@example.com", "5.1.1", "550 5.1.1 no such user"), e.returnPath("ann@example.com"))
	e.wantStatuses(map[string]string{"ann@example.com": store.SubscriberBounced})
}

func TestComplaintOverridesUnsubscribed(t *testing.T) {
	e := newBounceEnv(t, "laura@example.com")
	if _, err := e.db.SetSubscriberStatus(context.Background(), e.ids["laura@example.com"],
		store.SubscriberUnsubscribed, "test"); err != nil {
		t.Fatal(err)
	}
	_, row := e.deliver(readCase(t, "A11.eml"), "abuse@"+testBounceDomain)

	if row.Status != store.InboundProcessed || row.ReportKind != "complaint" {
		t.Errorf("row = %s %s, want processed complaint", row.Status, row.ReportKind)
	}
	e.wantStatuses(map[string]string{"laura@example.com": store.SubscriberComplained})
	if diff := cmp.Diff([]string{"complaint laura@example.com"}, e.eventKeys()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestRedactedComplaintIsUnmatched(t *testing.T) {
	e := newBounceEnv(t, "redacted@example.net", "laura@example.com")
	out, row := e.deliver(readCase(t, "A11b.eml"), "fbl@"+testBounceDomain)

	if out.Status != store.InboundUnmatched || row.Status != store.InboundUnmatched {
		t.Errorf("status = %s / %s, want unmatched", out.Status, row.Status)
	}
	e.wantStatuses(nil)
	if ev := e.events(); len(ev) != 0 {
		t.Errorf("events = %+v, want none", ev)
	}
	if v := storedVerdicts(t, row); len(v) != 1 || v[0].Kind != bounce.Complaint || v[0].Effect != EffectUnmatched {
		t.Errorf("stored verdicts = %+v", v)
	}
}

func TestRedactedComplaintByReturnPath(t *testing.T) {
	e := newBounceEnv(t, "redacted@example.net", "laura@example.com")
	_, row := e.deliver(readCase(t, "A11b.eml"), e.returnPath("laura@example.com"))

	if row.Status != store.InboundProcessed {
		t.Errorf("status = %s, want processed", row.Status)
	}
	e.wantStatuses(map[string]string{"laura@example.com": store.SubscriberComplained})
	events := e.events()
	if len(events) != 2 || events[0].Kind != store.EventComplaint || events[0].CampaignID != e.campaign {
		t.Errorf("events = %+v, want the complaint on the campaign and a bounce_report", events)
	}
}

func TestUnsubscribeNeedsOurAddress(t *testing.T) {
	e := newBounceEnv(t, "peggy@icloud.example")
	raw := readCase(t, "D04.eml")

	// The case's own opt-out address is not ours: the sender address alone
	// could be forged, so nobody is unsubscribed.
	_, row := e.deliver(raw, "bounces@"+testBounceDomain)
	if row.Status != store.InboundUnmatched || row.ReportKind != "unsubscribe" {
		t.Errorf("unverified request: row = %s %s, want unmatched unsubscribe", row.Status, row.ReportKind)
	}
	e.wantStatuses(nil)

	addr := e.signer.UnsubscribeAddress(mailid.ID{CampaignID: e.campaign, SubscriberID: e.ids["peggy@icloud.example"]}, testBounceDomain)
	_, row = e.deliver(raw, addr)
	if row.Status != store.InboundProcessed {
		t.Errorf("request to our address: status = %s, want processed", row.Status)
	}
	e.wantStatuses(map[string]string{"peggy@icloud.example": store.SubscriberUnsubscribed})
	if diff := cmp.Diff([]string{"unsubscribe peggy@icloud.example", "bounce_report"}, e.eventKeys()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestDelayAndAutoReplyChangeNothing(t *testing.T) {
	e := newBounceEnv(t, "dave@example.com", "ivan@example.net")
	for _, name := range []string{"A03.eml", "A08.eml"} {
		_, row := e.deliver(readCase(t, name), "bounces@"+testBounceDomain)
		if row.Status != store.InboundProcessed {
			t.Errorf("%s: status = %s, want processed", name, row.Status)
		}
		for _, v := range storedVerdicts(t, row) {
			if v.Effect != EffectNone {
				t.Errorf("%s: verdict %s for %s has effect %q, want none", name, v.Kind, v.Recipient, v.Effect)
			}
		}
	}
	e.wantStatuses(nil)
	if ev := e.events(); len(ev) != 0 {
		t.Errorf("events = %+v, want none", ev)
	}
}

func TestUnparseableIsStoredUnmatched(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	garbage := append([]byte("\xff\xfe\x00 not a message\n"), bytes.Repeat([]byte{0x80, 0xc3, 0x28}, 100)...)
	_, row := e.deliver(garbage, "bounces@"+testBounceDomain)

	if row.Status != store.InboundUnmatched || row.ReportKind != string(bounce.ReportUnknown) || row.Reason == "" {
		t.Errorf("row = %s %s reason %q, want unmatched unknown with a reason", row.Status, row.ReportKind, row.Reason)
	}
	if !bytes.Equal(row.Raw, garbage) {
		t.Error("the raw message was not stored byte for byte")
	}
}

func TestUnparseableReportCountsForCampaign(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	_, row := e.deliver([]byte("Subject: ?\n\nnothing to see\n"), e.returnPath("ann@example.com"))

	if row.Status != store.InboundUnmatched {
		t.Errorf("status = %s, want unmatched", row.Status)
	}
	events := e.events()
	if len(events) != 1 || events[0].Kind != store.EventBounceReport || events[0].CampaignID != e.campaign {
		t.Errorf("events = %+v, want one bounce_report on the campaign", events)
	}
	e.wantStatuses(nil)
}

func TestProcessInboundTwiceAppliesOnce(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	_, row := e.deliver(dsn("ann@example.com", "5.2.2", "552 mailbox full"), e.returnPath("ann@example.com"))
	out, err := e.acts.ProcessInbound(context.Background(), InboundInput{InboundID: row.ID})
	if err != nil {
		t.Fatal(err)
	}
	if out.Applied || out.Status != store.InboundProcessed {
		t.Errorf("second run = %+v, want processed and not applied", out)
	}
	if n := len(e.events()); n != 2 {
		t.Errorf("%d events after two runs, want 2", n)
	}
	out, err = e.acts.ProcessInbound(context.Background(), InboundInput{InboundID: row.ID + 100})
	if err != nil || out.Applied {
		t.Errorf("missing row: %+v, %v; want nothing applied and no error", out, err)
	}
}

func TestGenericNotification(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com", "ben@example.com")
	body := fmt.Sprintf(`{"email":"Ann@example.com","type":"hard","status":"5.1.1","diagnostic":"no such user","campaign_id":%d}`, e.campaign)
	_, row := e.deliverMessage(store.InboundMessage{Source: store.SourceHTTP, Format: store.FormatGeneric, Raw: []byte(body)})

	if row.Status != store.InboundProcessed {
		t.Errorf("status = %s (%s), want processed", row.Status, row.Reason)
	}
	e.wantStatuses(map[string]string{"ann@example.com": store.SubscriberBounced})
	events := e.events()
	if len(events) != 2 || events[0].Detail["source"] != "generic" || events[0].CampaignID != e.campaign {
		t.Errorf("events = %+v, want a generic bounce on the campaign and a bounce_report", events)
	}
}

func TestSESNotifications(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com", "ben@example.com", "cid@example.com")
	token := e.signer.Token(mailid.ID{CampaignID: e.campaign, SubscriberID: e.ids["ben@example.com"]})
	bounceMsg := map[string]any{"notificationType": "Bounce",
		"bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General", "reportingMTA": "dsn; a1.amazonses.com",
			"bouncedRecipients": []any{map[string]any{"emailAddress": "forward@example.net", "status": "5.1.1",
				"diagnosticCode": "smtp; 550 5.1.1 user unknown"}}},
		"mail": map[string]any{"source": "news@example.org",
			"headers": []any{map[string]any{"name": "X-Pacer-ID", "value": token}}}}
	complaint := map[string]any{"notificationType": "Complaint",
		"complaint": map[string]any{"complaintFeedbackType": "abuse",
			"complainedRecipients": []any{map[string]any{"emailAddress": "cid@example.com"}}},
		"mail": map[string]any{"source": "news@example.org"}}
	notSpam := map[string]any{"notificationType": "Complaint",
		"complaint": map[string]any{"complaintFeedbackType": "not-spam",
			"complainedRecipients": []any{map[string]any{"emailAddress": "ann@example.com"}}},
		"mail": map[string]any{"source": "news@example.org"}}
	for _, n := range []map[string]any{bounceMsg, complaint, notSpam} {
		msg, _ := json.Marshal(n)
		env, _ := json.Marshal(map[string]any{"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:1:ses", "Message": string(msg)})
		_, row := e.deliverMessage(store.InboundMessage{Source: store.SourceHTTP, Format: store.FormatSES, Raw: env})
		if row.Status != store.InboundProcessed {
			t.Errorf("%s: status = %s (%s), want processed", n["notificationType"], row.Status, row.Reason)
		}
	}
	// The bounce reached Ben through the X-Pacer-ID header, not the
	// forwarding address SES reported.
	e.wantStatuses(map[string]string{"ben@example.com": store.SubscriberBounced, "cid@example.com": store.SubscriberComplained})
	keys := e.eventKeys()
	if !slices.Contains(keys, "bounce/hard ben@example.com") || !slices.Contains(keys, "complaint cid@example.com") {
		t.Errorf("events = %q", keys)
	}
}

func TestSESSubscriptionConfirmationIsUnmatched(t *testing.T) {
	e := newBounceEnv(t, "ann@example.com")
	body := `{"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:eu-west-1:1:ses",
		"SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"}`
	_, row := e.deliverMessage(store.InboundMessage{Source: store.SourceHTTP, Format: store.FormatSES, Raw: []byte(body)})
	if row.Status != store.InboundUnmatched || !bytes.Contains([]byte(row.Reason), []byte("Action=ConfirmSubscription")) {
		t.Errorf("row = %s, reason %q; want unmatched with the subscribe URL", row.Status, row.Reason)
	}
}
