package bounce

import (
	"regexp"
	"strings"
)

var (
	// bounceBodyRe: wording of non-delivery reports of common MTAs.
	bounceBodyRe    = regexp.MustCompile(`(?i)smtp error from remote mail ?server|following address(\(es\)|es)? failed|could not be delivered to one or more|delivery to the following recipients? failed|(was|were)n'?t able to deliver|(was not|unable|not able) to deliver|delivery has failed to these recipients|following recipient\(s\) cannot be reached|message could not be delivered|(wasn't|was not|couldn't be|could not be|has not been) delivered|addresses had permanent fatal errors|remote host said:|in reply to (rcpt to|end of data|mail from|data) command|qmail-send program|delivery status notification|undeliver|non-?delivery|delivery failure|mail delivery failed|address not found|no mailbox here by that name|recipient address rejected`)
	bounceSubjectRe = regexp.MustCompile(`(?i)undeliver|undelivered|delivery status notification|mail delivery failed|returned mail|failure notice|delivery failure|non-?delivery|could not be delivered|delivery has failed|mail system error|nondeliverable|delivery notification`)
	// delayBodyRe: wording of delay warnings.
	delayBodyRe    = regexp.MustCompile(`(?i)this is a warning (message )?only|you do not need to resend|(delivery|message)[^.\n]{0,60}\b(has been|is|was) delayed|still being retried|will be retried|will (continue to|keep) try|delivery attempts will continue`)
	delaySubjectRe = regexp.MustCompile(`(?i)\bdelay(ed)?\b|still being retried|\(delay\)`)

	markerRe     = regexp.MustCompile(`^([ \t]*)<?(` + addrPattern + `)>?(.*)$`)
	inlineRcptRe = regexp.MustCompile(`(?i)(?:final-recipient:\s*rfc822;\s*|rcpt to:\s*<|delivered to\s+<?|delivery to\s+<?|failed recipient:?\s*<?)(` + addrPattern + `)`)
	remoteMTARe  = regexp.MustCompile(`(?i)\b(?:host|by)\s+([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\.?\s*\[`)
	reportingRe  = regexp.MustCompile(`(?i)(?:mail system at host|qmail-send program at|generating server:|reporting-mta:\s*dns;)\s*([a-z0-9][a-z0-9.-]*\.[a-z]{2,})`)
)

// delay recognises a plain-text delay warning (a DSN with "Action: delayed"
// is handled by dsn). Every recipient gets a delayed verdict, whatever code
// the warning quotes.
func (a *analysis) delay(r *Report) bool {
	if a.h.Get("X-Failed-Recipients") != "" {
		return false // Exim sends this header with failures only
	}
	looksLikeNDR := a.fromDaemon() || bounceBodyRe.MatchString(a.text) || bounceSubjectRe.MatchString(a.subject)
	bySubject := delaySubjectRe.MatchString(a.subject) && looksLikeNDR
	byBody := delayBodyRe.MatchString(a.text) && (looksLikeNDR || delaySubjectRe.MatchString(a.subject))
	if !bySubject && !byBody {
		return false
	}
	r.Kind = ReportDelay
	segs := a.segments(nil)
	if len(segs) == 0 {
		segs = []*segment{{addr: a.returnedTo()}}
	}
	for _, s := range segs {
		v := a.plainVerdict(s, len(segs) == 1)
		v.Kind, v.Action = Delayed, "delayed"
		r.Verdicts = append(r.Verdicts, v)
	}
	return true
}

// plainBounce recognises a plain-text non-delivery report and gives one
// verdict per failed recipient found in the text or in X-Failed-Recipients.
func (a *analysis) plainBounce(r *Report) bool {
	xfailed := findAddresses(strings.Join(a.h.Values("X-Failed-Recipients"), ","), maxVerdicts)
	nullSender := strings.TrimSpace(a.h.Get("Return-Path")) == "<>"
	if len(xfailed) == 0 && !a.fromDaemon() && !bounceBodyRe.MatchString(a.text) &&
		!(nullSender && bounceSubjectRe.MatchString(a.subject)) {
		return false
	}
	segs := a.segments(xfailed)
	if len(segs) == 0 {
		if to := a.returnedTo(); to != "" && !a.isOurs(to) {
			segs = []*segment{{addr: to}}
		} else if a.identity().by != MatchNone {
			segs = []*segment{{}}
		} else {
			a.notes = append(a.notes, "looks like a bounce, but names no recipient and no identifier of ours")
			return false
		}
	}
	r.Kind = ReportBounce
	for _, s := range segs {
		r.Verdicts = append(r.Verdicts, a.plainVerdict(s, len(segs) == 1))
	}
	return true
}

// segment is the part of a notice about one recipient.
type segment struct {
	addr  string
	lines []string
}

// segments finds the recipients of a plain-text notice. A recipient line
// starts with the address, alone or followed by ":" (Postfix, qmail), "..."
// (Sendmail), "(" or " on <date>" (Exchange). The lines after it, up to the
// next recipient line, are its segment. Recipient lines may not be indented
// deeper than the first one, so addresses in wrapped diagnostics do not count.
func (a *analysis) segments(extra []string) []*segment {
	var segs []*segment
	index := map[string]*segment{}
	var cur *segment
	indent := -1
	for line := range strings.Lines(a.text) {
		line = strings.TrimRight(line, "\r\n")
		addr, rest, ind, ok := markerLine(line)
		if ok && (indent < 0 || ind <= indent) && !a.isOurs(addr) {
			indent = max(indent, ind)
			key := strings.ToLower(addr)
			if s := index[key]; s != nil {
				s.lines = append(s.lines, strings.TrimSpace(line))
				cur = s
				continue
			}
			if len(segs) >= maxVerdicts {
				break
			}
			cur = &segment{addr: addr, lines: []string{rest}}
			index[key] = cur
			segs = append(segs, cur)
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	if len(segs) == 0 {
		for _, m := range inlineRcptRe.FindAllStringSubmatch(a.text, maxVerdicts) {
			extra = append(extra, strings.Trim(m[1], "."))
		}
	}
	for _, x := range extra {
		key := strings.ToLower(x)
		if index[key] == nil && !a.isOurs(x) && len(segs) < maxVerdicts {
			index[key] = &segment{addr: x}
			segs = append(segs, index[key])
		}
	}
	return segs
}

func markerLine(line string) (addr, rest string, indent int, ok bool) {
	m := markerRe.FindStringSubmatch(line)
	if m == nil {
		return "", "", 0, false
	}
	rest = strings.TrimSpace(m[3])
	lower := strings.ToLower(rest)
	if !(rest == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "...") ||
		strings.HasPrefix(rest, "(") || strings.HasPrefix(lower, "on ")) {
		return "", "", 0, false
	}
	indent = len(strings.ReplaceAll(m[1], "\t", "        "))
	if strings.HasPrefix(lower, "on ") {
		rest = "" // Exchange: "addr on 08/06/2021 09:12"
	}
	return strings.Trim(m[2], "."), strings.TrimSpace(strings.TrimPrefix(rest, ":")), indent, true
}

// plainVerdict classifies one segment. The diagnostic is the paragraph that
// holds the first status code. A lone recipient whose segment has no code
// is judged on the whole notice (some MTAs put the reason before the address).
func (a *analysis) plainVerdict(s *segment, single bool) Verdict {
	text := strings.Join(s.lines, "\n")
	code, ok, basic, diag := codeParagraph(text)
	if single && !ok && basic == 0 {
		text = a.text
		code, ok, basic, diag = codeParagraph(text)
	}
	v := Verdict{Recipient: s.addr, Action: "failed", Diagnostic: diag}
	if ok {
		v.Status = code.String()
	}
	if m := remoteMTARe.FindStringSubmatch(text); m != nil {
		v.RemoteMTA = m[1]
	}
	v.ReportingMTA = a.reportingMTA()
	classText := unfold(text)
	if len(classText) > 4*maxDiagnostic {
		classText = classText[:4*maxDiagnostic]
	}
	v.Kind = classify(code, ok, basic, classText)
	return v
}

// reportingMTA names the MTA that wrote a plain-text notice, if it says so.
func (a *analysis) reportingMTA() string {
	if a.reporting == nil {
		m := reportingRe.FindStringSubmatch(a.text)
		a.reporting = new(string)
		if m != nil {
			*a.reporting = m[1]
		}
	}
	return *a.reporting
}

// codeParagraph finds the first paragraph with an enhanced or basic code
// and returns the codes and the paragraph unfolded. Without codes the first
// paragraph is the diagnostic.
func codeParagraph(text string) (code status, ok bool, basic int, diag string) {
	paras := paragraphs(text)
	for _, p := range paras {
		if c, found := findEnhanced(p); found {
			return c, true, findBasic(p), unfold(p)
		}
	}
	for _, p := range paras {
		if b := findBasic(p); b != 0 {
			return status{}, false, b, unfold(p)
		}
	}
	if len(paras) > 0 {
		return status{}, false, 0, unfold(paras[0])
	}
	return status{}, false, 0, ""
}
