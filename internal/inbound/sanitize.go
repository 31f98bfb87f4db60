package inbound

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pacer-email/pacer/internal/bounce"
)

// Bounds of the strings of a provider's report, the same package bounce
// applies to its own.
const (
	maxField      = 512
	maxDiagnostic = 2000
)

// sanitize makes every string of a report built from a provider's JSON
// valid UTF-8 without control characters and of bounded length, as package
// bounce does for parsed mail. The report goes to PostgreSQL's jsonb, which
// rejects \u0000, and to API responses as it is.
func sanitize(r *bounce.Report) {
	r.Reason = clean(r.Reason, maxDiagnostic)
	r.FeedbackType = clean(r.FeedbackType, maxField)
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		v.Recipient = clean(v.Recipient, maxField)
		v.Status = clean(v.Status, maxField)
		v.Action = clean(v.Action, maxField)
		v.Diagnostic = clean(v.Diagnostic, maxDiagnostic)
		v.ReportingMTA = clean(v.ReportingMTA, maxField)
	}
}

func clean(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
