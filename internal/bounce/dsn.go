package bounce

import (
	"strings"
)

// perMessageFields are the RFC 3464 per-message fields (and Postfix's
// extensions); everything else belongs to a per-recipient block.
var perMessageFields = map[string]bool{
	"reporting-mta": true, "dsn-gateway": true, "received-from-mta": true,
	"arrival-date": true, "original-envelope-id": true,
	"x-postfix-queue-id": true, "x-postfix-sender": true,
}

// recipientFields occur once per recipient block: a repeat starts the next
// block when an MTA leaves out the blank line between blocks.
var recipientFields = map[string]bool{
	"original-recipient": true, "final-recipient": true, "action": true, "status": true,
	"remote-mta": true, "diagnostic-code": true, "last-attempt-date": true,
	"will-retry-until": true, "final-log-id": true,
}

// dsn reads every message/delivery-status part (RFC 3464, and RFC 6533's
// global variant) and gives one verdict per recipient block. It returns
// false when no part has a recipient block, so the plain-text scan can try.
func (a *analysis) dsn(r *Report) bool {
	parts := a.find("message/delivery-status", "message/global-delivery-status")
	var verdicts []Verdict
	for _, p := range parts {
		if len(verdicts) <= maxVerdicts {
			verdicts = append(verdicts, a.dsnVerdicts(p.body)...)
		}
	}
	if len(verdicts) == 0 {
		if len(parts) > 0 {
			a.notes = append(a.notes, "delivery-status part without recipient blocks, scanned the text")
		}
		return false
	}
	if len(verdicts) > maxVerdicts {
		verdicts = verdicts[:maxVerdicts]
		a.notes = append(a.notes, "too many recipients, verdicts truncated")
	}
	a.fillFromNotice(verdicts)
	r.Kind = ReportDSN
	r.Verdicts = verdicts
	if allKind(verdicts, Delayed) {
		r.Kind = ReportDelay
	}
	return true
}

// dsnVerdicts parses one delivery-status body. Recipient blocks are split at
// blank lines and where a per-recipient field repeats. Field order within a
// block does not matter (Exim puts Action first).
func (a *analysis) dsnVerdicts(body []byte) []Verdict {
	var perMsg fieldSet
	var groups []fieldSet
	for _, block := range parseFieldBlocks(body) {
		var cur fieldSet
		for _, f := range block {
			if perMessageFields[f.name] {
				perMsg = append(perMsg, f)
				continue
			}
			if recipientFields[f.name] && cur.has(f.name) {
				groups = append(groups, cur)
				cur = nil
			}
			cur = append(cur, f)
		}
		if cur != nil {
			groups = append(groups, cur)
		}
	}
	for _, s := range perMsg.all("x-postfix-sender") {
		a.senders = append(a.senders, cleanAddress(s))
	}
	reporting := stripType(perMsg.get("reporting-mta"))
	var out []Verdict
	for _, g := range groups {
		if g.has("final-recipient") || g.has("original-recipient") || g.has("action") || g.has("status") {
			out = append(out, dsnVerdict(g, reporting))
		}
		if len(out) > maxVerdicts {
			break
		}
	}
	return out
}

// dsnVerdict classifies one recipient block. The Status field decides; when
// it is missing or only X.0.0, a more specific code of the same class in the
// Diagnostic-Code is used (Exim reports 5.0.0 with "550 5.1.1 ..."). The
// Action decides only between failure, delay and success: a failed 4.x.x
// stays soft.
func dsnVerdict(g fieldSet, reporting string) Verdict {
	rcpt := cleanAddress(g.get("final-recipient"))
	if rcpt == "" {
		rcpt = cleanAddress(g.get("original-recipient"))
	}
	action, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(g.get("action"))), " ")
	diag := unfold(stripType(capString(g.get("diagnostic-code"), 2*maxDiagnostic)))
	code, ok := parseStatus(g.get("status"))
	code, ok = refineStatus(code, ok, diag)
	v := Verdict{
		Recipient:    rcpt,
		Action:       action,
		Diagnostic:   diag,
		ReportingMTA: reporting,
		RemoteMTA:    stripType(g.get("remote-mta")),
	}
	if ok {
		v.Status = code.String()
	}
	switch action {
	case "delayed":
		v.Kind = Delayed
	case "delivered", "relayed", "expanded":
		v.Kind = NotBounce
	default: // failed, or missing
		v.Kind = classify(code, ok, findBasic(diag), diag)
	}
	return v
}

// refineStatus replaces a missing or X.0.0 status by a more specific code
// of the same class found in the diagnostic text.
func refineStatus(code status, ok bool, diag string) (status, bool) {
	if !ok || code.undefined() {
		if c, found := findEnhanced(diag); found && !c.undefined() && (!ok || c.class == code.class) {
			return c, true
		}
	}
	return code, ok
}

// fillFromNotice completes failed verdicts that have no Diagnostic-Code
// with the recipient's paragraph of the human-readable notice, where Postfix
// and others quote the remote server's reply, and classifies them again
// with that text.
func (a *analysis) fillFromNotice(vs []Verdict) {
	var index map[string]*segment
	for i := range vs {
		v := &vs[i]
		if v.Diagnostic != "" || v.Recipient == "" || v.Kind == Delayed || v.Kind == NotBounce {
			continue
		}
		if index == nil {
			index = map[string]*segment{}
			for _, s := range a.segments(nil) {
				index[strings.ToLower(s.addr)] = s
			}
		}
		s := index[strings.ToLower(v.Recipient)]
		if s == nil {
			continue
		}
		_, _, basic, diag := codeParagraph(strings.Join(s.lines, "\n"))
		if diag == "" {
			continue
		}
		code, ok := parseStatus(v.Status)
		code, ok = refineStatus(code, ok, diag)
		if ok {
			v.Status = code.String()
		}
		v.Diagnostic = diag
		v.Kind = classify(code, ok, basic, diag)
	}
}

func allKind(vs []Verdict, k VerdictKind) bool {
	for _, v := range vs {
		if v.Kind != k {
			return false
		}
	}
	return len(vs) > 0
}
