// Package address normalises email addresses and derives the key pacer uses
// to tell two spellings of one mailbox apart from two mailboxes.
//
// Every path that takes an address from outside (CSV import, API inserts,
// bounce and complaint matching) goes through [Normalize] and stores or looks
// up [Key]. Using one function everywhere is what makes "Alice@Example.com"
// imported today match a bounce for "alice@example.com" next month.
//
// Normalize accepts the addresses people actually subscribe with, which is a
// subset of RFC 5321 and RFC 5322. Deliberate departures from the RFCs:
//
//   - Quoted local parts ("john doe"@example.com), comments and address
//     literals (user@[192.0.2.1]) are rejected. They are legal but almost
//     always a sign of a broken export, and many relays refuse them.
//   - Single-label domains (user@localhost) are rejected: a campaign is sent
//     over the public Internet, where such a domain cannot be reached.
//   - Non-ASCII local parts (RFC 6531, SMTPUTF8) are rejected, because pacer
//     does not require SMTPUTF8 from its relays.
//   - Internationalised domain names are accepted and stored in their ASCII
//     (punycode, "xn--") form, as RFC 5891 looks them up. That is the form
//     RCPT TO needs without SMTPUTF8 and the form bounces usually report, and
//     it gives "müller.de" and "xn--mller-kva.de" one key.
//
// The local part keeps the case it was typed in (RFC 5321 section 2.4 lets a
// server treat it as case-sensitive), but [Key] folds it: real mailbox
// providers ignore local-part case and people type it both ways. Key does not
// strip dots or "+tags": those are distinct addresses for most providers and
// a "+tag" is often a deliberate, separate subscription.
package address

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Length limits in octets, from RFC 5321 section 4.5.3.1 (the whole-address
// limit is the 256-octet path limit less its angle brackets, as RFC 3696
// erratum 1690 states).
const (
	MaxLocalLength   = 64
	MaxAddressLength = 254
	maxLabelLength   = 63
)

// Error reports an address that Normalize rejected.
type Error struct {
	Value  string // the address as given
	Reason string // what is wrong, in words a person importing a list can act on
}

func (e *Error) Error() string {
	return fmt.Sprintf("address %q: %s", e.Value, e.Reason)
}

func reject(value, format string, args ...any) error {
	return &Error{Value: value, Reason: fmt.Sprintf(format, args...)}
}

// TrimSpace returns s without the characters Normalize trims from both ends:
// ASCII white space, no-break space (U+00A0) and every other Unicode space,
// and the byte order mark (U+FEFF) that spreadsheet exports leave behind.
func TrimSpace(s string) string {
	if s != "" && isPlainASCII(s[0]) && isPlainASCII(s[len(s)-1]) {
		return s // the common case: nothing to trim
	}
	return strings.TrimFunc(s, isTrimmable)
}

// isPlainASCII reports whether c is a printable ASCII character other than
// a space.
func isPlainASCII(c byte) bool {
	return c > ' ' && c < 0x7f
}

func isTrimmable(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF'
}

// Normalize trims raw (see [TrimSpace]), checks that what is left is one bare
// address and returns it with the domain lower-cased and in ASCII form. The
// local part keeps its case. A rejected address yields an *[Error] whose
// Reason states what to fix.
func Normalize(raw string) (string, error) {
	s := TrimSpace(raw)
	if s == "" {
		return "", reject(raw, "is empty")
	}
	if !utf8.ValidString(s) {
		return "", reject(raw, "is not valid UTF-8 text")
	}
	if lt := strings.IndexByte(s, '<'); lt >= 0 && strings.IndexByte(s[lt:], '>') > 0 {
		return "", reject(raw, `looks like "Name <address>": `+
			"put the name in its own column and only the address in the email column")
	}
	if err := checkCharacters(raw, s); err != nil {
		return "", err
	}

	local, domain, err := split(raw, s)
	if err != nil {
		return "", err
	}
	if err := checkLocal(raw, local); err != nil {
		return "", err
	}
	domain, err = normalizeDomain(raw, domain)
	if err != nil {
		return "", err
	}

	addr := s
	if len(local)+1+len(domain) != len(s) || s[len(local)+1:] != domain {
		addr = local + "@" + domain
	}
	if len(addr) > MaxAddressLength {
		return "", reject(raw, "is %d octets long; RFC 5321 allows at most %d",
			len(addr), MaxAddressLength)
	}
	return addr, nil
}

// Key returns the deduplication key of addr: the normalised address folded to
// lower case. "Alice@Example.com", "alice@example.com" and
// "ALICE@EXAMPLE.COM " share one key. An address Normalize rejects still gets
// a key (trimmed and lower-cased) so that lookups of stored odd values work.
func Key(addr string) string {
	n, err := Normalize(addr)
	if err != nil {
		n = TrimSpace(addr)
	}
	return strings.ToLower(n)
}

// split cuts s at its only @.
func split(raw, s string) (local, domain string, err error) {
	at := strings.IndexByte(s, '@')
	switch {
	case at < 0:
		return "", "", reject(raw, "has no @")
	case strings.IndexByte(s[at+1:], '@') >= 0:
		return "", "", reject(raw, "has more than one @")
	case at == 0:
		return "", "", reject(raw, "has nothing before the @")
	case at == len(s)-1:
		return "", "", reject(raw, "has no domain after the @")
	}
	return s[:at], s[at+1:], nil
}

// normalizeDomain lower-cases domain, converts an internationalised name to
// its ASCII form and checks the result label by label.
func normalizeDomain(raw, domain string) (string, error) {
	if isASCII(domain) {
		domain = strings.ToLower(domain)
	} else {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return "", reject(raw, "domain %q is not a valid internationalised domain name", domain)
		}
		domain = ascii
	}
	if err := checkDomain(raw, domain); err != nil {
		return "", err
	}
	return domain, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
