package bounce

import (
	"strings"
)

// complaint recognises an RFC 5965 feedback report: multipart/report with
// report-type=feedback-report, or any message/feedback-report part. It gives
// one complaint verdict per Original-Rcpt-To (or Removal-Recipient), else
// one for the returned message's To, else one without a recipient. Redacted
// addresses (RFC 6590: Redacted-Address, "redacted@...") are never reported
// as recipients: such a complaint can only be tied back through our
// identifiers in the returned message.
func (a *analysis) complaint(r *Report) bool {
	parts := a.find("message/feedback-report")
	isARF := len(parts) > 0 ||
		(a.top.mediaType == "multipart/report" && strings.EqualFold(a.top.params["report-type"], "feedback-report"))
	if !isARF {
		return false
	}
	var fs fieldSet
	for _, p := range parts {
		for _, block := range parseFieldBlocks(p.body) {
			fs = append(fs, block...)
		}
	}
	r.Kind = ReportComplaint
	r.FeedbackType = strings.ToLower(strings.TrimSpace(fs.get("feedback-type")))
	if r.FeedbackType == "" {
		a.notes = append(a.notes, "feedback report without Feedback-Type")
	}
	for _, s := range fs.all("original-mail-from") {
		a.senders = append(a.senders, cleanAddress(s))
	}
	redacted := fs.has("redacted-address")
	var rcpts []string
	seen := map[string]bool{}
	for _, v := range append(fs.all("original-rcpt-to"), fs.all("removal-recipient")...) {
		addr := cleanAddress(v)
		if addr == "" || isRedacted(addr) || seen[strings.ToLower(addr)] || len(rcpts) >= maxVerdicts {
			continue
		}
		seen[strings.ToLower(addr)] = true
		rcpts = append(rcpts, addr)
	}
	if len(rcpts) == 0 && !redacted {
		if to := a.returnedTo(); to != "" && !isRedacted(to) && !a.isOurs(to) {
			rcpts = append(rcpts, to)
		}
	}
	if len(rcpts) == 0 {
		rcpts = []string{""}
	}
	reporting := stripType(fs.get("reporting-mta"))
	var diag string // the provider's human-readable notice, first paragraph
	if paras := paragraphs(a.text); len(paras) > 0 {
		diag = unfold(paras[0])
	}
	for _, addr := range rcpts {
		r.Verdicts = append(r.Verdicts, Verdict{
			Kind:         Complaint,
			Recipient:    addr,
			ReportingMTA: reporting,
			Diagnostic:   diag,
		})
	}
	return true
}

// isRedacted recognises placeholder addresses of redacted reports:
// "redacted", "redacted@", "redacted@example.net", "xxxxxxxx@example.com".
func isRedacted(addr string) bool {
	lower := strings.ToLower(addr)
	if strings.Contains(lower, "redacted") || !strings.Contains(lower, "@") ||
		strings.HasPrefix(lower, "@") || strings.HasSuffix(lower, "@") {
		return true
	}
	lp := localPart(lower)
	return len(lp) >= 3 && strings.Trim(lp, "x*") == ""
}
