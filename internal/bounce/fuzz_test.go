package bounce

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	cases, _ := filepath.Glob(filepath.Join("testdata", "cases", "*.eml"))
	for _, name := range append(files, cases...) {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, "bounces@news.example.org")
		f.Add(toCRLF(raw), "")
	}
	f.Add(deepMultipart(20), "")
	f.Add(manyParts(150), "")
	s := testSigner(f)
	f.Add(readFixture(f, "cases/B04.eml"), s.ReturnPath(testID, "news.example.org"))
	f.Add(readFixture(f, "cases/D04.eml"), s.UnsubscribeAddress(testID, "news.example.org"))

	const maxBytes = 1 << 20
	kinds := map[ReportKind]bool{ReportDSN: true, ReportBounce: true, ReportDelay: true, ReportComplaint: true,
		ReportAutoReply: true, ReportUnsubscribe: true, ReportUnknown: true}
	verdictKinds := map[VerdictKind]bool{Hard: true, Soft: true, Complaint: true, Unsubscribe: true, Delayed: true, NotBounce: true}
	matches := map[MatchedBy]bool{MatchReturnPath: true, MatchUnsubscribe: true, MatchMessageID: true, MatchHeader: true, MatchNone: true}

	f.Fuzz(func(t *testing.T, raw []byte, rcpt string) {
		r, err := Parse(raw, rcpt, Options{MaxBytes: maxBytes, Signer: s})
		if err != nil {
			if !errors.Is(err, ErrTooLarge) || len(raw) <= maxBytes {
				t.Fatalf("unexpected error %v for %d bytes", err, len(raw))
			}
			return
		}
		if !kinds[r.Kind] || r.Verdicts == nil || len(r.Verdicts) > maxVerdicts {
			t.Fatalf("bad report: kind %q, %d verdicts", r.Kind, len(r.Verdicts))
		}
		if strings.HasPrefix(r.Reason, "internal error") {
			t.Fatalf("recovered panic: %s", r.Reason)
		}
		if r.Kind == ReportUnknown && r.Reason == "" {
			t.Fatal("unknown report without a reason")
		}
		checkString(t, r.Reason, maxReason)
		for _, s := range []string{r.MessageID, r.From, r.Subject, r.FeedbackType} {
			checkString(t, s, maxField)
		}
		for _, v := range r.Verdicts {
			if !verdictKinds[v.Kind] || !matches[v.MatchedBy] {
				t.Fatalf("bad verdict %+v", v)
			}
			if v.MatchedBy == MatchNone && v.SubscriberID != 0 {
				t.Fatalf("subscriber without a match: %+v", v)
			}
			checkString(t, v.Diagnostic, maxDiagnostic)
			for _, s := range []string{v.Recipient, v.Status, v.Action, v.ReportingMTA, v.RemoteMTA, v.OriginalMessageID} {
				checkString(t, s, maxField)
			}
		}
	})
}

func checkString(t *testing.T, s string, max int) {
	t.Helper()
	if len(s) > max || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		t.Fatalf("bad string (%d bytes): %q", len(s), s)
	}
}

func BenchmarkParseA01(b *testing.B) {
	raw := readFixture(b, "cases/A01.eml")
	s := testSigner(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, "bounces@news.example.org", Options{Signer: s}); err != nil {
			b.Fatal(err)
		}
	}
}
