package bounce

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

// Test identity: campaign 12, subscriber 345.
var testID = mailid.ID{CampaignID: 12, SubscriberID: 345}

func testSigner(t testing.TB) *mailid.Signer {
	t.Helper()
	s, err := mailid.NewSigner([]byte("pacer-test-signing-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func toCRLF(raw []byte) []byte {
	return bytes.ReplaceAll(normalizeNewlines(raw), []byte("\n"), []byte("\r\n"))
}

// eachEnding runs fn on raw with LF and with CRLF line endings.
func eachEnding(t *testing.T, raw []byte, fn func(t *testing.T, raw []byte)) {
	t.Helper()
	t.Run("LF", func(t *testing.T) { fn(t, normalizeNewlines(raw)) })
	t.Run("CRLF", func(t *testing.T) { fn(t, toCRLF(raw)) })
}

// replace substitutes old with new in raw and fails when old is absent, so
// fixture edits cannot silently stop testing anything.
func replace(t testing.TB, raw []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(raw, []byte(old)) {
		t.Fatalf("fixture does not contain %q", old)
	}
	return bytes.Replace(raw, []byte(old), []byte(new), 1)
}

func mustParse(t testing.TB, raw []byte, rcpt string, s *mailid.Signer) *Report {
	t.Helper()
	r, err := Parse(raw, rcpt, Options{Signer: s})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

// wantVerdict is the part of a verdict a test pins down; empty strings are
// not checked, except recipient, which is always compared.
type wantVerdict struct {
	kind      VerdictKind
	recipient string
	status    string
	action    string
}

func checkReport(t *testing.T, r *Report, kind ReportKind, want ...wantVerdict) {
	t.Helper()
	if r.Kind != kind {
		t.Errorf("report kind = %q, want %q (reason %q)", r.Kind, kind, r.Reason)
	}
	if len(r.Verdicts) != len(want) {
		t.Fatalf("got %d verdicts, want %d: %+v", len(r.Verdicts), len(want), r.Verdicts)
	}
	for i, w := range want {
		v := r.Verdicts[i]
		if v.Kind != w.kind || v.Recipient != w.recipient {
			t.Errorf("verdict %d = %s for %q, want %s for %q (status %q, diag %q)",
				i, v.Kind, v.Recipient, w.kind, w.recipient, v.Status, v.Diagnostic)
		}
		if w.status != "" && v.Status != w.status {
			t.Errorf("verdict %d status = %q, want %q", i, v.Status, w.status)
		}
		if w.action != "" && v.Action != w.action {
			t.Errorf("verdict %d action = %q, want %q", i, v.Action, w.action)
		}
	}
}

func checkIdentity(t *testing.T, v Verdict, by MatchedBy, id mailid.ID) {
	t.Helper()
	if v.MatchedBy != by || v.CampaignID != id.CampaignID || v.SubscriberID != id.SubscriberID {
		t.Errorf("identity = %s %d/%d, want %s %d/%d",
			v.MatchedBy, v.CampaignID, v.SubscriberID, by, id.CampaignID, id.SubscriberID)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
