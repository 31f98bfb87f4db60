package bounce

import (
	"strings"
	"testing"
)

func TestPlainBouncesOfOtherMTAs(t *testing.T) {
	tests := []struct {
		file string
		want []wantVerdict
	}{
		{"qmail_local.eml", []wantVerdict{{Hard, "quinn@example.net", "5.1.1", "failed"}}},
		{"qmail_remote_multi.eml", []wantVerdict{
			{Hard, "rachel@example.com", "5.1.1", "failed"},
			{Soft, "steve@example.org", "5.2.2", "failed"},
			{Soft, "tina@example.org", "5.7.1", "failed"},
		}},
		{"sendmail_text.eml", []wantVerdict{{Hard, "uwe@example.de", "5.1.1", "failed"}}},
		{"exchange_text.eml", []wantVerdict{{Hard, "victor@corp.example.com", "5.1.1", "failed"}}},
		{"gmail_hard.eml", []wantVerdict{{Hard, "wendy@example.com", "5.1.1", "failed"}}},
		// "failed permanently", but 5.7.1 is policy: soft.
		{"gmail_policy.eml", []wantVerdict{{Soft, "xavier@gmail.example", "5.7.1", "failed"}}},
		{"postfix_text_multi.eml", []wantVerdict{
			{Hard, "yara@example.com", "5.1.1", "failed"},
			{Soft, "zack@example.net", "4.2.2", "failed"},
			{Soft, "amy@example.org", "", "failed"}, // DNS failure without a code
		}},
		// ISO-8859-1 quoted-printable notice.
		{"iso8859_qp.eml", []wantVerdict{{Hard, "juergen@example.de", "5.1.1", "failed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			eachEnding(t, readFixture(t, tt.file), func(t *testing.T, raw []byte) {
				checkReport(t, mustParse(t, raw, "", nil), ReportBounce, tt.want...)
			})
		})
	}
}

func TestPlainDiagnostics(t *testing.T) {
	r := mustParse(t, readFixture(t, "iso8859_qp.eml"), "", nil)
	if d := r.Verdicts[0].Diagnostic; !strings.Contains(d, "550 5.1.1 Empfänger unbekannt") {
		t.Errorf("ISO-8859-1 diagnostic not decoded: %q", d)
	}
	if r.Subject != "Unzustellbar: Rücksendung" {
		t.Errorf("subject = %q", r.Subject)
	}
	if m := r.Verdicts[0].RemoteMTA; m != "mx.example.de" {
		t.Errorf("remote MTA = %q", m)
	}
	r = mustParse(t, readFixture(t, "qmail_local.eml"), "", nil)
	if d := r.Verdicts[0].Diagnostic; d != "Sorry, no mailbox here by that name. (#5.1.1)" {
		t.Errorf("qmail diagnostic = %q", d)
	}
	if m := r.Verdicts[0].ReportingMTA; m != "mail.example.net" {
		t.Errorf("reporting MTA = %q", m)
	}
}

func TestPlainWithoutEnhancedCode(t *testing.T) {
	tests := []struct {
		name, body string
		want       VerdictKind
	}{
		{"550 user unknown", "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 Unknown user\n", Hard},
		{"550 no reason", "<a@example.com>: host mx.example.com[192.0.2.1] said: 550 Requested action not taken\n", Soft},
		{"552 quota", "<a@example.com>: host mx.example.com[192.0.2.1] said: 552 Mailbox quota exceeded\n", Soft},
		{"450 user unknown", "<a@example.com>: host mx.example.com[192.0.2.1] said: 450 User unknown, try later\n", Soft},
		{"554 spam", "<a@example.com>: host mx.example.com[192.0.2.1] said: 554 Rejected as spam: user unknown to us\n", Soft},
		{"permanent prose only", "<a@example.com>:\nThis is a permanent error. The remote host refused the connection.\n", Soft},
		{"no code, dead text", "  a@example.com\n    Unknown user: no such user here\n", Hard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "From: MAILER-DAEMON@mx.example.org\nTo: bounces@news.example.org\nSubject: Undelivered Mail Returned to Sender\n\n" +
				"I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n" + tt.body
			checkReport(t, mustParse(t, []byte(raw), "", nil), ReportBounce, wantVerdict{kind: tt.want, recipient: "a@example.com"})
		})
	}
}

func TestPlainDelayWarnings(t *testing.T) {
	exim := "From: Mail Delivery System <Mailer-Daemon@relay.example.net>\nTo: bounces@news.example.org\n" +
		"Subject: Warning: message 1abcDE-000Fgh-00 delayed 24 hours\nAuto-Submitted: auto-replied\n\n" +
		"This message was created automatically by mail delivery software.\n" +
		"A message that you sent has not yet been delivered to one or more of its\n" +
		"recipients after more than 24 hours on the queue on relay.example.net.\n\n" +
		"The address to which the message has not yet been delivered is:\n\n" +
		"  pia@example.com\n    host mx.example.com [192.0.2.8]: 451 4.3.0 Temporary lookup failure\n\n" +
		"No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals.\n"
	exchange := "From: postmaster@corp.example.com\nTo: bounces@news.example.org\nSubject: Delivery delayed: Monthly update\n\n" +
		"Delivery is delayed to these recipients or groups:\n\nrob@corp.example.com\n\nSubject: Monthly update\n\n" +
		"This message hasn't been delivered yet. Delivery will continue to be attempted.\n"
	for name, raw := range map[string]string{"exim": exim, "exchange": exchange} {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, []byte(raw), "", nil)
			if r.Kind != ReportDelay || len(r.Verdicts) != 1 || r.Verdicts[0].Kind != Delayed {
				t.Fatalf("got %s %+v", r.Kind, r.Verdicts)
			}
			if r.Verdicts[0].Recipient == "" || r.Verdicts[0].Action != "delayed" {
				t.Errorf("verdict = %+v", r.Verdicts[0])
			}
		})
	}
}

func TestPlainBounceNeedsARecipientOrIdentity(t *testing.T) {
	raw := "From: MAILER-DAEMON@mx.example.org\nTo: bounces@news.example.org\nSubject: Undelivered Mail\n\nSomething went wrong.\n"
	r := mustParse(t, []byte(raw), "", nil)
	if r.Kind != ReportUnknown || !strings.Contains(r.Reason, "no recipient") {
		t.Errorf("got %s %q", r.Kind, r.Reason)
	}
}

func TestPlainHTMLOnlyNotice(t *testing.T) {
	raw := "From: Microsoft Outlook <postmaster@outlook.example>\nTo: bounces@news.example.org\nSubject: Undeliverable: Monthly update\n" +
		"MIME-Version: 1.0\nContent-Type: text/html; charset=\"us-ascii\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"<html><head><style>p {margin:0}</style></head><body><p><b>Delivery has failed to these recipients or groups:</b></p>=\n" +
		"<p><a href=3D\"mailto:quincy@example.net\">quincy@example.net</a><br>The email address you entered couldn&#39;t be found.</p>=\n" +
		"<p>Remote Server returned &#39;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found&#39;</p></body></html>\n"
	eachEnding(t, []byte(raw), func(t *testing.T, raw []byte) {
		checkReport(t, mustParse(t, raw, "", nil), ReportBounce, wantVerdict{Hard, "quincy@example.net", "5.1.1", "failed"})
	})
}
