package bounce

import (
	"html"
	"regexp"
	"strings"
)

// addrPattern matches an email address in free text. Domains need a dot and
// end in a letter label, so message IDs like "123@456" and IP literals are
// left out; non-ASCII letters are allowed (SMTPUTF8).
const addrPattern = `[\p{L}\p{N}!#$%&'*+/=?^_` + "`" + `{|}~.-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}[\p{L}\p{N}-]{0,62}`

var (
	addrRe = regexp.MustCompile(addrPattern)
	// msgIDRe matches one <message-id>.
	msgIDRe = regexp.MustCompile(`<([^<>\s]{1,500}@[^<>\s]{1,500})>`)
)

// findAddresses returns the addresses in s, in order, at most n (n < 0: all).
func findAddresses(s string, n int) []string {
	out := addrRe.FindAllString(s, n)
	for i, a := range out {
		out[i] = strings.Trim(a, ".")
	}
	return out
}

// firstAddress returns the first address in a header value or text, or "".
func firstAddress(s string) string {
	if a := findAddresses(s, 1); len(a) > 0 {
		return a[0]
	}
	return ""
}

// cleanAddress removes an address type ("rfc822;"), angle brackets and
// blanks from a reported address, keeping its letter case.
func cleanAddress(s string) string {
	s = stripType(s)
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "<>"))
	if i := strings.IndexAny(s, " \t"); i >= 0 { // "a@b (comment)"
		if a := firstAddress(s); a != "" {
			return a
		}
		s = s[:i]
	}
	return s
}

// stripType removes a leading RFC 3464 type ("smtp; ", "dns;", "rfc822;").
func stripType(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ';'); i > 0 && i <= 20 && isAtom(s[:i]) {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

func isAtom(s string) bool {
	for _, c := range strings.TrimSpace(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return strings.TrimSpace(s) != ""
}

// unfold joins folded lines and collapses runs of white space.
func unfold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// trimMsgID returns the first message ID in s without angle brackets.
func trimMsgID(s string) string {
	if m := msgIDRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return strings.Trim(strings.TrimSpace(s), "<>")
}

// localPart returns the lower-case local part of an address.
func localPart(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(addr[:at])
	}
	return strings.ToLower(addr)
}

// capString cuts s to at most n bytes, at a line end when there is one.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > n/2 {
		s = s[:i+1]
	}
	return s
}

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var out []string
	var cur []string
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, ""))
				cur = cur[:0]
			}
			continue
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, ""))
	}
	return out
}

var (
	htmlDropRe  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	htmlBreakRe = regexp.MustCompile(`(?i)<\s*(br|/p|p|/div|div|/tr|tr|/li|li|/h\d|hr|/table)\b[^>]*>`)
	htmlTagRe   = regexp.MustCompile(`<[^>]*>`)
)

// htmlToText turns an HTML notice into text good enough for scanning.
func htmlToText(s string) string {
	s = capString(s, 4*maxScan)
	s = htmlDropRe.ReplaceAllString(s, "")
	s = htmlBreakRe.ReplaceAllString(s, "\n")
	s = htmlTagRe.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}
