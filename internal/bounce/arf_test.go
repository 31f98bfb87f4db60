package bounce

import "testing"

func TestComplaintRecipientFromReturnedTo(t *testing.T) {
	// No Original-Rcpt-To and no redaction: the returned message's To.
	eachEnding(t, readFixture(t, "arf_inner_to.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportComplaint, wantVerdict{kind: Complaint, recipient: "ingrid@hotmail.example"})
		if r.Verdicts[0].ReportingMTA != "fbl.hotmail.example" || r.Verdicts[0].OriginalMessageID != "arf-2@news.example.org" {
			t.Errorf("verdict = %+v", r.Verdicts[0])
		}
	})
}

func TestComplaintSeveralRecipientsAndHeadersOnly(t *testing.T) {
	eachEnding(t, readFixture(t, "arf_headers_only.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportComplaint,
			wantVerdict{kind: Complaint, recipient: "jack@isp.example.net"},
			wantVerdict{kind: Complaint, recipient: "jill@isp.example.net"})
		// text/rfc822-headers gives the original Message-ID.
		if r.Verdicts[1].OriginalMessageID != "arf-3@news.example.org" {
			t.Errorf("original message id = %q", r.Verdicts[1].OriginalMessageID)
		}
	})
}

func TestRedactedComplaintMatchedByOurIdentifiers(t *testing.T) {
	s := testSigner(t)
	base := readFixture(t, "cases/A11b.eml")
	tests := []struct {
		name string
		raw  []byte
		by   MatchedBy
	}{
		{"VERP return path", replace(t, base, "Return-Path: <bounces@news.example.org>",
			"Return-Path: <"+s.ReturnPath(testID, "bounce.news.example.org")+">"), MatchReturnPath},
		{"Message-ID", replace(t, base, "Subject: Monthly update\n",
			"Subject: Monthly update\nMessage-ID: <"+s.MessageID(testID, "news.example.org")+">\n"), MatchMessageID},
		{"X-Pacer-ID", replace(t, base, "Subject: Monthly update\n",
			"Subject: Monthly update\nX-Pacer-ID: "+s.Token(testID)+"\n"), MatchHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEnding(t, tt.raw, func(t *testing.T, raw []byte) {
				r := mustParse(t, raw, "fbl-abuse@news.example.org", s)
				checkReport(t, r, ReportComplaint, wantVerdict{kind: Complaint, recipient: ""})
				checkIdentity(t, r.Verdicts[0], tt.by, testID)
			})
		})
	}
}

func TestComplaintOriginalMailFrom(t *testing.T) {
	s := testSigner(t)
	raw := replace(t, readFixture(t, "cases/A11.eml"), "Original-Mail-From: <bounces@news.example.org>",
		"Original-Mail-From: <"+s.ReturnPath(testID, "news.example.org")+">")
	r := mustParse(t, raw, "", s)
	checkReport(t, r, ReportComplaint, wantVerdict{kind: Complaint, recipient: "laura@example.com"})
	checkIdentity(t, r.Verdicts[0], MatchReturnPath, testID)
}

func TestIsRedacted(t *testing.T) {
	for addr, want := range map[string]bool{
		"redacted": true, "redacted@": true, "redacted@example.net": true, "@example.net": true,
		"xxxxxxxx@example.com": true, "laura@example.com": false, "x@example.com": false,
	} {
		if got := isRedacted(addr); got != want {
			t.Errorf("isRedacted(%q) = %v, want %v", addr, got, want)
		}
	}
}
