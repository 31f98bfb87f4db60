package bounce

import (
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

// forge changes the last MAC character of a signed identifier before "@".
func forge(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		at = len(s)
	}
	c := byte('a')
	if s[at-1] == 'a' {
		c = 'b'
	}
	return s[:at-1] + string(c) + s[at:]
}

func TestIdentitySources(t *testing.T) {
	s := testSigner(t)
	verp := s.ReturnPath(testID, "bounce.news.example.org")
	msgID := s.MessageID(testID, "news.example.org")
	token := s.Token(testID)
	b04 := readFixture(t, "cases/B04.eml")
	a02 := readFixture(t, "cases/A02.eml")
	tests := []struct {
		name string
		raw  []byte
		rcpt string
		by   MatchedBy
		id   mailid.ID
	}{
		{"envelope recipient", b04, verp, MatchReturnPath, testID},
		{"envelope recipient in angle brackets, upper case", b04, "<" + strings.ToUpper(verp) + ">", MatchReturnPath, testID},
		{"To header", replace(t, b04, "To: bounces@news.example.org", "To: <"+verp+">"), "", MatchReturnPath, testID},
		{"returned Return-Path", replace(t, b04, "Return-Path: <bounces@news.example.org>", "Return-Path: <"+verp+">"), "", MatchReturnPath, testID},
		{"X-Postfix-Sender", replace(t, b04, "X-Postfix-Sender: rfc822; bounces@news.example.org", "X-Postfix-Sender: rfc822; "+verp), "", MatchReturnPath, testID},
		{"returned Message-ID", replace(t, b04, "<46nlWg1CNHz5d5@news.example.org>", "<"+msgID+">"), "", MatchMessageID, testID},
		{"returned X-Pacer-ID", replace(t, b04, "Subject: Monthly update\n", "Subject: Monthly update\nX-Pacer-ID: "+token+"\n"), "", MatchHeader, testID},
		{"X-Pacer-ID pasted after the copy line", replace(t, a02, "Subject: Monthly update\n", "Subject: Monthly update\nX-Pacer-ID: "+token+"\n"), "", MatchHeader, testID},
		{"Message-ID pasted after the copy line", replace(t, a02, "<d111875269acf00cb339571a5a2ce349@news.example.org>", "<"+msgID+">"), "", MatchMessageID, testID},
		{"nothing of ours", b04, "bounces@news.example.org", MatchNone, mailid.ID{}},
		{"forged envelope", b04, forge(verp), MatchNone, mailid.ID{}},
		{"forged Message-ID", replace(t, b04, "<46nlWg1CNHz5d5@news.example.org>", "<"+forge(msgID)+">"), "", MatchNone, mailid.ID{}},
		{"forged X-Pacer-ID", replace(t, b04, "Subject: Monthly update\n", "Subject: Monthly update\nX-Pacer-ID: "+forge(token)+"\n"), "", MatchNone, mailid.ID{}},
		{"forged envelope, genuine Message-ID", replace(t, b04, "<46nlWg1CNHz5d5@news.example.org>", "<"+msgID+">"), forge(verp), MatchMessageID, testID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEnding(t, tt.raw, func(t *testing.T, raw []byte) {
				r := mustParse(t, raw, tt.rcpt, s)
				if len(r.Verdicts) != 1 {
					t.Fatalf("verdicts = %+v", r.Verdicts)
				}
				checkIdentity(t, r.Verdicts[0], tt.by, tt.id)
			})
		})
	}
}

func TestIdentityOrder(t *testing.T) {
	s := testSigner(t)
	other := mailid.ID{CampaignID: 99, SubscriberID: 77}
	raw := replace(t, readFixture(t, "cases/B04.eml"), "<46nlWg1CNHz5d5@news.example.org>", "<"+s.MessageID(other, "news.example.org")+">")
	r := mustParse(t, raw, s.ReturnPath(testID, "news.example.org"), s)
	checkIdentity(t, r.Verdicts[0], MatchReturnPath, testID) // the envelope comes first
}

func TestIdentityWithoutSigner(t *testing.T) {
	s := testSigner(t)
	r := mustParse(t, readFixture(t, "cases/B04.eml"), s.ReturnPath(testID, "news.example.org"), nil)
	checkIdentity(t, r.Verdicts[0], MatchNone, mailid.ID{})
}

func TestIdentityWithSeveralRecipients(t *testing.T) {
	// One message has one subscriber: with two verdicts only the recipient
	// the returned message was addressed to gets the subscriber.
	s := testSigner(t)
	verp := s.ReturnPath(testID, "news.example.org")
	campaignOnly := mailid.ID{CampaignID: testID.CampaignID}

	r := mustParse(t, readFixture(t, "cases/A01.eml"), verp, s) // To: alice@example.com,bob@example.com
	checkIdentity(t, r.Verdicts[0], MatchNone, campaignOnly)
	checkIdentity(t, r.Verdicts[1], MatchNone, campaignOnly)

	raw := replace(t, readFixture(t, "cases/A01.eml"), "To: alice@example.com,bob@example.com", "To: Alice <Alice@Example.com>")
	r = mustParse(t, raw, verp, s)
	checkIdentity(t, r.Verdicts[0], MatchReturnPath, testID)
	checkIdentity(t, r.Verdicts[1], MatchNone, campaignOnly)
}

func TestIdentityOnDelayAndExim(t *testing.T) {
	s := testSigner(t)
	verp := s.ReturnPath(testID, "news.example.org")
	for _, f := range []string{"cases/A03.eml", "cases/A02.eml", "cases/A05.eml", "qmail_local.eml"} {
		r := mustParse(t, readFixture(t, f), verp, s)
		if len(r.Verdicts) != 1 {
			t.Fatalf("%s: verdicts = %+v", f, r.Verdicts)
		}
		checkIdentity(t, r.Verdicts[0], MatchReturnPath, testID)
	}
}
