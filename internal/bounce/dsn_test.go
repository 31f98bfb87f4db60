package bounce

import (
	"strings"
	"testing"
)

func TestDSNEveryBlockHasItsOwnVerdict(t *testing.T) {
	eachEnding(t, readFixture(t, "dsn_mixed.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN,
			wantVerdict{Hard, "ben@example.com", "5.1.10", "failed"},     // null MX: two-digit detail kept
			wantVerdict{Delayed, "cleo@example.com", "4.4.1", "delayed"}, // no blank line follows this block
			wantVerdict{Soft, "dan@example.net", "5.7.26", "failed"},     // authentication policy: never hard
			wantVerdict{NotBounce, "eve@example.net", "2.0.0", "delivered"})
		if d := r.Verdicts[1].Diagnostic; d != "connect to mx.example.com[192.0.2.9]:25: Connection timed out" {
			t.Errorf("folded diagnostic not unfolded: %q", d)
		}
	})
}

func TestDSNAllDelayedIsADelayReport(t *testing.T) {
	eachEnding(t, readFixture(t, "dsn_delay.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDelay, wantVerdict{Delayed, "fiona@example.com", "4.2.2", "delayed"})
		// text/rfc822-headers gives the original message.
		if got := r.Verdicts[0].OriginalMessageID; got != "d1@news.example.org" {
			t.Errorf("original message id = %q", got)
		}
	})
}

func TestDSNUndefinedStatusUsesDiagnostic(t *testing.T) {
	// Exim writes Action first and Status 5.0.0; the diagnostic decides.
	r := mustParse(t, readFixture(t, "dsn_undefined.eml"), "", nil)
	checkReport(t, r, ReportDSN,
		wantVerdict{Hard, "gil@example.com", "5.1.1", "failed"},  // specific code from Diagnostic-Code
		wantVerdict{Hard, "hana@example.com", "5.0.0", "failed"}, // no code: "unknown user" text
		wantVerdict{Soft, "ida@example.com", "5.0.0", "failed"})  // 550 spam text: soft
}

func TestDSNForwardedAsAttachment(t *testing.T) {
	eachEnding(t, readFixture(t, "forwarded_report.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Hard, "hugo@example.com", "5.1.1", "failed"})
		// The returned original contains a message/rfc822 of its own: the
		// outer original is the one we sent.
		if got := r.Verdicts[0].OriginalMessageID; got != "fwd-orig@news.example.org" {
			t.Errorf("original message id = %q", got)
		}
		if !strings.Contains(r.Reason, "forwarded") {
			t.Errorf("reason = %q", r.Reason)
		}
	})
}

func TestDSNGlobalUTF8(t *testing.T) {
	// RFC 6533 message/global-delivery-status with a UTF-8 address, and a
	// base64 UTF-8 notice; the RFC 2047 subject is decoded.
	eachEnding(t, readFixture(t, "utf8_base64.eml"), func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN, wantVerdict{Hard, "léa@exemple.fr", "5.1.1", "failed"})
		if r.Verdicts[0].Diagnostic != "550 5.1.1 adresse inconnue, boîte supprimée" {
			t.Errorf("diagnostic = %q", r.Verdicts[0].Diagnostic)
		}
		if r.Subject != "Non remis à destination" {
			t.Errorf("subject = %q", r.Subject)
		}
	})
}

func TestDSNBrokenMIME(t *testing.T) {
	tests := []struct {
		file string
		kind ReportKind
		want wantVerdict
	}{
		// Declared boundary does not occur: the real one is guessed.
		{"broken_boundary.eml", ReportDSN, wantVerdict{Hard, "ken@example.com", "5.1.1", "failed"}},
		// No boundary at all (truncated): the raw text is scanned.
		{"broken_truncated.eml", ReportBounce, wantVerdict{Hard, "lily@example.com", "5.1.1", "failed"}},
		// Bad base64 delivery-status and an unknown charset: the notice decides.
		{"broken_base64.eml", ReportBounce, wantVerdict{Hard, "mona@example.com", "5.1.1", "failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			eachEnding(t, readFixture(t, tt.file), func(t *testing.T, raw []byte) {
				checkReport(t, mustParse(t, raw, "", nil), tt.kind, tt.want)
			})
		})
	}
}

func TestDSNBlockWithoutRecipientField(t *testing.T) {
	raw := []byte("From: MAILER-DAEMON@x.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n" +
		"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\nAction: failed\nStatus: 5.1.1\n--b--\n")
	r := mustParse(t, raw, "", nil)
	checkReport(t, r, ReportDSN, wantVerdict{Hard, "", "5.1.1", "failed"})
}

func TestDSNWithoutDiagnosticUsesTheNotice(t *testing.T) {
	// Status 5.2.1 alone does not say whether the mailbox is dead; the
	// notice quotes the remote reply for that recipient.
	raw := replace(t, readFixture(t, "cases/A01.eml"),
		"Diagnostic-Code: smtp; 550 5.2.1 <alice@example.com>... User Unknown\n", "")
	eachEnding(t, raw, func(t *testing.T, raw []byte) {
		r := mustParse(t, raw, "", nil)
		checkReport(t, r, ReportDSN,
			wantVerdict{Hard, "alice@example.com", "5.2.1", "failed"},
			wantVerdict{Soft, "bob@example.com", "5.2.2", "failed"})
		if d := r.Verdicts[0].Diagnostic; d != "host mx.example.com[192.0.2.22] said: 550 5.2.1 <alice@example.com>... User Unknown (in reply to RCPT TO command)" {
			t.Errorf("diagnostic = %q", d)
		}
	})
}
