package bounce

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

// The cases of shared/cases/README.md, copied into testdata/cases.

func TestCaseA01TwoRecipientsTwoVerdicts(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A01.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "bounces@news.example.org", testSigner(t))
		checkReport(t, r, ReportDSN,
			wantVerdict{Hard, "alice@example.com", "5.2.1", "failed"},
			wantVerdict{Soft, "bob@example.com", "5.2.2", "failed"})
		v := r.Verdicts[0]
		if v.ReportingMTA != "mta.example.org" || v.RemoteMTA != "mx.example.com" {
			t.Errorf("MTAs = %q, %q", v.ReportingMTA, v.RemoteMTA)
		}
		if v.Diagnostic != "550 5.2.1 <alice@example.com>... User Unknown" {
			t.Errorf("diagnostic = %q", v.Diagnostic)
		}
		if v.OriginalMessageID != "20150213024748.CEEDB20C16@mta.example.org" {
			t.Errorf("original message id = %q", v.OriginalMessageID)
		}
	})
}

func TestCaseA02EximPlainText(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A02.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportBounce, wantVerdict{Hard, "carol@example.com", "5.1.1", "failed"})
		if !containsFold(r.Verdicts[0].Diagnostic, "SMTP error from remote mail server after RCPT TO") {
			t.Errorf("diagnostic = %q", r.Verdicts[0].Diagnostic)
		}
		if got := r.Verdicts[0].OriginalMessageID; got != "d111875269acf00cb339571a5a2ce349@news.example.org" {
			t.Errorf("original message id from the pasted copy = %q", got)
		}
	})
	// The recipient also comes from X-Failed-Recipients alone.
	raw := replace(t, readFixture(t, "cases/A02.eml"), "  carol@example.com\n", "")
	r := mustParse(t, raw, "", nil)
	checkReport(t, r, ReportBounce, wantVerdict{Hard, "carol@example.com", "5.1.1", "failed"})
}

func TestCaseA03GmailDelayIsNotAFailure(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A03.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDelay, wantVerdict{Delayed, "dave@example.com", "4.2.2", "delayed"})
	})
}

func TestCaseA05Office365ThreeDigitDetail(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A05.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Hard, "frank@example.net", "5.1.351", "failed"})
		if r.Verdicts[0].ReportingMTA != "SG2APC01HT099.mail.protection.outlook.com" {
			t.Errorf("reporting MTA = %q", r.Verdicts[0].ReportingMTA)
		}
	})
}

func TestCaseA08OutOfOfficeIsNotABounce(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A08.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "bounces@news.example.org", testSigner(t))
		checkReport(t, r, ReportAutoReply, wantVerdict{kind: NotBounce, recipient: "ivan@example.net"})
	})
}

func TestCaseA11Complaint(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A11.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "abuse@news.example.org", testSigner(t))
		checkReport(t, r, ReportComplaint, wantVerdict{kind: Complaint, recipient: "laura@example.com"})
		if r.FeedbackType != "abuse" {
			t.Errorf("feedback type = %q", r.FeedbackType)
		}
	})
}

func TestCaseA11bRedactedComplaint(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/A11b.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "fbl-abuse@news.example.org", testSigner(t))
		// No identifier of ours: unattributed, and the placeholder address
		// is never reported as a recipient.
		checkReport(t, r, ReportComplaint, wantVerdict{kind: Complaint, recipient: ""})
		checkIdentity(t, r.Verdicts[0], MatchNone, mailid.ID{})
	})
}

func TestCaseB01ThrottleGiveUpIsSoft(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/B01.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Soft, "nina@yahoo.example", "4.7.0", "failed"})
	})
}

func TestCaseB04MailboxFullIsSoft(t *testing.T) {
	eachEnding(t, readFixture(t, "cases/B04.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Soft, "oscar@example.net", "5.2.2", "failed"})
	})
	// The same DSN with 550 5.2.2 is soft too.
	raw := bytes.ReplaceAll(readFixture(t, "cases/B04.eml"), []byte("552 5.2.2"), []byte("550 5.2.2"))
	checkReport(t, mustParse(t, raw, "", nil), ReportDSN, wantVerdict{Soft, "oscar@example.net", "5.2.2", "failed"})
}

func TestCaseD04UnsubscribeByEnvelope(t *testing.T) {
	s := testSigner(t)
	addr := s.UnsubscribeAddress(testID, "news.example.org")
	eachEnding(t, readFixture(t, "cases/D04.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, addr, s)
		checkReport(t, r, ReportUnsubscribe, wantVerdict{kind: Unsubscribe, recipient: "peggy@icloud.example"})
		checkIdentity(t, r.Verdicts[0], MatchUnsubscribe, testID)
	})
}

func TestCaseD04UnsubscribeByToHeader(t *testing.T) {
	s := testSigner(t)
	addr := s.UnsubscribeAddress(testID, "news.example.org")
	raw := replace(t, readFixture(t, "cases/D04.eml"),
		"To: opt-out-100731.e75std53hz8rnmy4r@news.example.org", "To: <"+addr+">")
	// Without the Apple header too: our address alone is enough, and it
	// wins over Auto-Submitted: auto-replied.
	raw = replace(t, raw, "X-Apple-Unsubscribe: true\n", "")
	eachEnding(t, raw, func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "mx-inbound@news.example.org", s)
		checkReport(t, r, ReportUnsubscribe, wantVerdict{kind: Unsubscribe, recipient: "peggy@icloud.example"})
		checkIdentity(t, r.Verdicts[0], MatchUnsubscribe, testID)
	})
}

func TestCaseD04AppleHeaderWithoutOurAddress(t *testing.T) {
	// The case file's own opt-out address is not one of ours: still an
	// unsubscribe request (X-Apple-Unsubscribe), but unverified.
	r := mustParse(t, readFixture(t, "cases/D04.eml"), "", testSigner(t))
	checkReport(t, r, ReportUnsubscribe, wantVerdict{kind: Unsubscribe, recipient: "peggy@icloud.example"})
	checkIdentity(t, r.Verdicts[0], MatchNone, mailid.ID{})
}

// TestCaseFilesMatchShared fails when testdata/cases drifts from the shared
// case files (skipped where shared/ is not beside the repository).
func TestCaseFilesMatchShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "cases", "messages")
	files, _ := filepath.Glob(filepath.Join(shared, "*.eml"))
	if len(files) == 0 {
		t.Skip("shared/cases/messages not found")
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "cases", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testdata/cases/%s differs from %s: copy it again", filepath.Base(f), f)
		}
	}
}
