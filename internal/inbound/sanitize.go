package inbound

import (
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
	r.Reason = bounce.Clean(r.Reason, maxDiagnostic)
	r.FeedbackType = bounce.Clean(r.FeedbackType, maxField)
	for i := range r.Verdicts {
		v := &r.Verdicts[i]
		v.Recipient = bounce.Clean(v.Recipient, maxField)
		v.Status = bounce.Clean(v.Status, maxField)
		v.Action = bounce.Clean(v.Action, maxField)
		v.Diagnostic = bounce.Clean(v.Diagnostic, maxDiagnostic)
		v.ReportingMTA = bounce.Clean(v.ReportingMTA, maxField)
	}
}
