package inbound_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/mailid"
)

func TestParseGeneric(t *testing.T) {
	g, err := inbound.ParseGeneric([]byte(`{"email":" Ann@Example.COM ","type":"soft","status":"4.2.2","diagnostic":"mailbox full","campaign_id":7}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []bounce.Verdict{{Kind: bounce.Soft, Recipient: "Ann@example.com", Status: "4.2.2", Action: "failed",
		Diagnostic: "mailbox full", CampaignID: 7, MatchedBy: bounce.MatchNone}}
	if diff := cmp.Diff(want, g.Report().Verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

func TestParseGenericErrors(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{``, "the body is empty"},
		{`{"email":"a@example.com",`, "ends in the middle"},
		{`{"email":"a@example.com" "type":"hard"}`, "invalid JSON at byte 26"},
		{`{"email":"a@example.com","type":"hard","campaign_id":"7"}`, `"campaign_id" must be a int64, not a string`},
		{`{"emial":"a@example.com","type":"hard"}`, `unknown field "emial"`},
		{`{"type":"hard"}`, `"email" is missing`},
		{`{"email":"not an address","type":"hard"}`, `"email"`},
		{`{"email":"a@example.com","type":"bounce"}`, `"type" "bounce" is invalid`},
		{`{"email":"a@example.com","type":"hard","status":"550"}`, `"status" "550" is not an enhanced status code`},
		{`{"email":"a@example.com","type":"hard"} {}`, "more than one value"},
	}
	for _, tc := range tests {
		_, err := inbound.ParseGeneric([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseGeneric(%s) = %v, want an error containing %q", tc.body, err, tc.want)
		}
	}
}

func snsNotification(t *testing.T, message map[string]any) []byte {
	t.Helper()
	msg, err := json.Marshal(message)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:1:ses", "Message": string(msg)})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestParseSESBounce(t *testing.T) {
	body := snsNotification(t, map[string]any{"notificationType": "Bounce",
		"bounce": map[string]any{"bounceType": "Transient", "bounceSubType": "MailboxFull", "reportingMTA": "dsn; a1.amazonses.com",
			"bouncedRecipients": []any{map[string]any{"emailAddress": "ann@example.com", "action": "failed", "status": "4.2.2",
				"diagnosticCode": "smtp; 452 4.2.2 mailbox full\u0000"}}},
		"mail": map[string]any{"source": "news@example.org"}})
	n, err := inbound.ParseSES(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []bounce.Verdict{{Kind: bounce.Soft, Recipient: "ann@example.com", Status: "4.2.2", Action: "failed",
		Diagnostic: "452 4.2.2 mailbox full", ReportingMTA: "a1.amazonses.com", MatchedBy: bounce.MatchNone}}
	if n.Type != inbound.SNSNotification || n.Event != "Bounce" || n.Report.Kind != bounce.ReportBounce {
		t.Errorf("parsed = %s %s %s", n.Type, n.Event, n.Report.Kind)
	}
	if diff := cmp.Diff(want, n.Report.Verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

func TestParseSESIdentity(t *testing.T) {
	signer, err := mailid.NewSigner([]byte("inbound-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	id := mailid.ID{CampaignID: 4, SubscriberID: 9}
	tests := []struct {
		name string
		mail map[string]any
		by   bounce.MatchedBy
	}{
		{"header", map[string]any{"headers": []any{map[string]any{"name": "x-pacer-id", "value": signer.Token(id)}}}, bounce.MatchHeader},
		{"message id", map[string]any{"commonHeaders": map[string]any{"messageId": "<" + signer.MessageID(id, "example.org") + ">"}}, bounce.MatchMessageID},
		{"source", map[string]any{"source": signer.ReturnPath(id, "bounces.example.org")}, bounce.MatchReturnPath},
		{"forged", map[string]any{"headers": []any{map[string]any{"name": "X-Pacer-ID", "value": "4.9.aaaaaaaaaaaaaaaa"}}}, bounce.MatchNone},
	}
	for _, tc := range tests {
		body := snsNotification(t, map[string]any{"notificationType": "Bounce",
			"bounce": map[string]any{"bounceType": "Permanent", "bouncedRecipients": []any{map[string]any{"emailAddress": "x@example.net"}}},
			"mail":   tc.mail})
		n, err := inbound.ParseSES(body, signer)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v := n.Report.Verdicts[0]
		wantID := id
		if tc.by == bounce.MatchNone {
			wantID = mailid.ID{}
		}
		if v.Kind != bounce.Hard || v.MatchedBy != tc.by || v.CampaignID != wantID.CampaignID || v.SubscriberID != wantID.SubscriberID {
			t.Errorf("%s: verdict = %s %s %d/%d, want hard %s %d/%d", tc.name, v.Kind, v.MatchedBy, v.CampaignID,
				v.SubscriberID, tc.by, wantID.CampaignID, wantID.SubscriberID)
		}
	}
}

func TestParseSESOtherMessages(t *testing.T) {
	confirm := `{"Type":"SubscriptionConfirmation","TopicArn":"arn:t","SubscribeURL":"https://sns.example/?Action=ConfirmSubscription"}`
	n, err := inbound.ParseSES([]byte(confirm), nil)
	if err != nil || n.Type != inbound.SNSSubscriptionConfirmation || n.SubscribeURL == "" || n.Report != nil {
		t.Errorf("subscription confirmation = %+v, %v", n, err)
	}
	delivery := snsNotification(t, map[string]any{"notificationType": "Delivery", "mail": map[string]any{}})
	if n, err := inbound.ParseSES(delivery, nil); err != nil || n.Event != "Delivery" || n.Report != nil {
		t.Errorf("delivery = %+v, %v; want no report", n, err)
	}
	raw := `{"eventType":"Complaint","complaint":{"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"a@example.com"}]},"mail":{}}`
	if n, err := inbound.ParseSES([]byte(raw), nil); err != nil || n.Report == nil || n.Report.Verdicts[0].Kind != bounce.Complaint {
		t.Errorf("raw complaint event = %+v, %v; want a complaint", n, err)
	}
	for body, want := range map[string]string{
		`{"Type":"Notification","Message":"not json"}`:                          "not an SES notification",
		`{"Type":"Notification","Message":"{}"}`:                                "without notificationType",
		`{"Type":"Notification","Message":"{\"notificationType\":\"Bounce\"}"}`: `without a "bounce" object`,
		`{"Type":"SubscriptionConfirmation"}`:                                   "without a valid SubscribeURL",
		`{"Type":"Bogus"}`:                                                      `unknown SNS message type "Bogus"`,
		`[1,2]`:                                                                 "invalid JSON",
	} {
		if _, err := inbound.ParseSES([]byte(body), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSES(%s) = %v, want an error containing %q", body, err, want)
		}
	}
}
