package bounce

import (
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

func TestAutoReplies(t *testing.T) {
	tests := []struct {
		file, from, reason string
	}{
		{"autoreply_exchange.eml", "karl@example.com", "Auto-Submitted"},
		{"autoreply_xautoreply.eml", "lena@example.net", "X-Autoreply"},
		{"autoreply_precedence.eml", "max@example.org", "Precedence"},
		{"autoreply_subject.eml", "nora@example.de", "subject"},
		{"challenge.eml", "notify@boxbe.example", "challenge-response"},
		{"read_receipt.eml", "paula@example.com", "read receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			eachEnding(t, readFixture(t, tt.file), func(t *testing.T, raw []byte) {
				r := mustParse(t, raw, "bounces@news.example.org", nil)
				checkReport(t, r, ReportAutoReply, wantVerdict{kind: NotBounce, recipient: tt.from})
				if !strings.Contains(r.Reason, tt.reason) {
					t.Errorf("reason = %q, want it to mention %q", r.Reason, tt.reason)
				}
			})
		})
	}
}

func TestHumanReplyIsUnknown(t *testing.T) {
	r := mustParse(t, readFixture(t, "human_reply.eml"), "bounces@news.example.org", nil)
	checkReport(t, r, ReportUnknown)
	if r.Reason == "" {
		t.Error("unknown report without a reason")
	}
}

func TestAutoReplyMatchedByInReplyTo(t *testing.T) {
	s := testSigner(t)
	raw := replace(t, readFixture(t, "autoreply_exchange.eml"), "<original-in-reply@news.example.org>",
		"<"+s.MessageID(testID, "news.example.org")+">")
	r := mustParse(t, raw, "bounces@news.example.org", s)
	checkReport(t, r, ReportAutoReply, wantVerdict{kind: NotBounce, recipient: "karl@example.com"})
	checkIdentity(t, r.Verdicts[0], MatchMessageID, testID)
	if r.Verdicts[0].OriginalMessageID != s.MessageID(testID, "news.example.org") {
		t.Errorf("original message id = %q", r.Verdicts[0].OriginalMessageID)
	}
}

func TestUnsubscribeUnverified(t *testing.T) {
	s := testSigner(t)
	good := s.UnsubscribeAddress(testID, "news.example.org")
	forged := good[:strings.IndexByte(good, '@')-1] + "x@news.example.org" // last MAC character changed
	if good == forged {
		forged = good[:strings.IndexByte(good, '@')-1] + "y@news.example.org"
	}
	raw := replace(t, readFixture(t, "cases/D04.eml"), "X-Apple-Unsubscribe: true\n", "")
	for name, tc := range map[string]struct {
		rcpt   string
		signer *mailid.Signer
	}{
		"forged MAC": {forged, s},
		"no signer":  {good, nil},
	} {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, raw, tc.rcpt, tc.signer)
			checkReport(t, r, ReportUnsubscribe, wantVerdict{kind: Unsubscribe, recipient: "peggy@icloud.example"})
			checkIdentity(t, r.Verdicts[0], MatchNone, mailid.ID{})
			if !strings.Contains(r.Reason, "without a verified identifier") {
				t.Errorf("reason = %q", r.Reason)
			}
		})
	}
	// Without the Apple header and without an unsubscribe address the same
	// mail is only an auto-reply.
	r := mustParse(t, raw, "bounces@news.example.org", s)
	checkReport(t, r, ReportAutoReply, wantVerdict{kind: NotBounce, recipient: "peggy@icloud.example"})
}

func TestBounceAddressIsNotAnUnsubscribe(t *testing.T) {
	s := testSigner(t)
	r := mustParse(t, readFixture(t, "cases/A08.eml"), s.ReturnPath(testID, "news.example.org"), s)
	checkReport(t, r, ReportAutoReply, wantVerdict{kind: NotBounce, recipient: "ivan@example.net"})
	checkIdentity(t, r.Verdicts[0], MatchReturnPath, testID)
}
