package bounce

import (
	"regexp"
	"strconv"
	"strings"
)

// status is an RFC 3463 enhanced status code class.subject.detail.
type status struct {
	class, subject, detail int
}

func (s status) String() string {
	return strconv.Itoa(s.class) + "." + strconv.Itoa(s.subject) + "." + strconv.Itoa(s.detail)
}

// undefined reports X.0.0, "other undefined status", which says nothing
// more than the basic reply code.
func (s status) undefined() bool { return s.subject == 0 && s.detail == 0 }

var (
	// enhancedRe is one candidate code; boundaries are checked by hand
	// because RE2 has no look-around.
	enhancedRe = regexp.MustCompile(`([245])\.(\d{1,3})\.(\d{1,3})`)
	// basicRe is a 4xx or 5xx reply code: "550 ", "550-", "550" at the end.
	basicRe = regexp.MustCompile(`(?:^|[^\d.,:/-])([45]\d\d)(?:[ \t-]|$)`)
)

// parseStatus reads the code at the start of a DSN Status field.
func parseStatus(field string) (status, bool) {
	field = strings.TrimSpace(field)
	m := enhancedRe.FindStringSubmatchIndex(field)
	if m == nil || m[0] != 0 || !codeEndsAt(field, m[1]) {
		return status{}, false
	}
	return toStatus(field, m), true
}

// findEnhanced returns the first enhanced status code in free text, not
// counting dotted numbers such as IP addresses or version strings.
func findEnhanced(text string) (status, bool) {
	for pos, tries := 0, 0; pos < len(text) && tries < 1000; tries++ {
		m := enhancedRe.FindStringSubmatchIndex(text[pos:])
		if m == nil {
			return status{}, false
		}
		for i := range m {
			m[i] += pos
		}
		before := byte(' ')
		if m[0] > 0 {
			before = text[m[0]-1]
		}
		if !isDigit(before) && before != '.' && codeEndsAt(text, m[1]) {
			return toStatus(text, m), true
		}
		pos = m[0] + 1
	}
	return status{}, false
}

// codeEndsAt reports whether a code ending at i is not part of a longer
// dotted number ("4.16.55.1").
func codeEndsAt(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	if isDigit(s[i]) {
		return false
	}
	return !(s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]))
}

func toStatus(s string, m []int) status {
	c, _ := strconv.Atoi(s[m[2]:m[3]])
	sub, _ := strconv.Atoi(s[m[4]:m[5]])
	det, _ := strconv.Atoi(s[m[6]:m[7]])
	return status{c, sub, det}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// findBasic returns the first 4xx or 5xx SMTP reply code in text, or 0.
func findBasic(text string) int {
	m := basicRe.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var (
	// fullRe: the mailbox is over quota. Always soft.
	fullRe = regexp.MustCompile(`(?i)(mailbox|inbox|quota|storage|disk|account)\b[^.\n]{0,40}\b(full|exceeded)|over ?quota|quota exceeded|exceeded (the )?(storage|quota)|insufficient (disk )?(storage|space)|mailbox is full`)
	// policyRe: the message, sender or connection was refused, not the address.
	policyRe = regexp.MustCompile(`(?i)spam|unsolicited|blocked|block ?list|black ?list|deny ?list|policy|reputation|\bdmarc\b|\bspf\b|\bdkim\b|authenticat|relay(ing)? (access )?(denied|not permitted)|rate limit|too many|throttl|deferred|try again later|temporar`)
	// deadRe: the text names a dead address.
	deadRe = regexp.MustCompile(`(?i)unknown (user|recipient|mailbox|address|alias|local.part)|(user|recipient|mailbox|address|account|alias)( name)?( is)? (unknown|not found|invalid|disabled|deactivated|inactive|closed|does ?n[o']t exist|not exist)|no such (user|recipient|mailbox|address|account|person)|no mailbox here by that name|not a valid (mailbox|recipient|user|address)|invalid (recipient|mailbox|address|user)|recipnotfound|(address|recipient|mailbox) (you entered )?couldn'?t be found|does ?n[o']t (exist|have an? .{1,30} account)|(user|mailbox|account) .{0,20}no longer (exists|active|valid|in use)|unknown or illegal alias`)
	// disabledRe: for 5.2.1 (mailbox disabled), words that mean the mailbox is gone.
	disabledRe = regexp.MustCompile(`(?i)unknown|disabled|deactivated|inactive|closed|discontinued|does ?n[o']t exist|not exist|no such|not found|no longer|invalid (user|recipient|mailbox|address)`)
	// senderRe: a 5.1.x about our sender address rather than the recipient.
	senderRe = regexp.MustCompile(`(?i)sender (address |domain )?(rejected|invalid|unknown|verify failed|not (allowed|permitted|found|verified))`)
)

// classify turns a failure into hard or soft following the table in the
// package documentation. code is the enhanced code (ok false when absent),
// basic the reply code (0 when absent), text the diagnostic. It is used for
// failures only: delay warnings and complaints never get here.
func classify(code status, ok bool, basic int, text string) VerdictKind {
	if ok && !code.undefined() {
		return classifyEnhanced(code, text)
	}
	class := basic / 100
	if ok {
		class = code.class
	}
	switch class {
	case 2:
		return NotBounce
	case 4:
		return Soft
	}
	// 5xx without a useful enhanced code, or no code at all: the text decides.
	switch {
	case fullRe.MatchString(text), policyRe.MatchString(text):
		return Soft
	case deadRe.MatchString(text):
		return Hard
	}
	return Soft
}

func classifyEnhanced(code status, text string) VerdictKind {
	switch code.class {
	case 2:
		return NotBounce
	case 4:
		return Soft
	}
	switch code.subject {
	case 1:
		if code.detail == 7 || code.detail == 8 || senderRe.MatchString(text) {
			return Soft
		}
		return Hard
	case 2:
		if code.detail == 1 && disabledRe.MatchString(text) && !fullRe.MatchString(text) {
			return Hard
		}
	}
	return Soft
}
