package address

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// invisibleNames names the format characters that most often hide in
// addresses pasted from web pages, word processors and spreadsheets.
var invisibleNames = map[rune]string{
	'\u00AD': "soft hyphen",
	'\u061C': "Arabic letter mark",
	'\u180E': "Mongolian vowel separator",
	'\u200B': "zero-width space",
	'\u200C': "zero-width non-joiner",
	'\u200D': "zero-width joiner",
	'\u200E': "left-to-right mark",
	'\u200F': "right-to-left mark",
	'\u202A': "left-to-right embedding",
	'\u202B': "right-to-left embedding",
	'\u202C': "pop directional formatting",
	'\u202D': "left-to-right override",
	'\u202E': "right-to-left override",
	'\u2060': "word joiner",
	'\u2066': "left-to-right isolate",
	'\u2067': "right-to-left isolate",
	'\u2068': "first strong isolate",
	'\u2069': "pop directional isolate",
	'\uFEFF': "byte order mark",
}

// describe names r for an error message, for example
// "U+200B (zero-width space)".
func describe(r rune) string {
	if name, ok := invisibleNames[r]; ok {
		return fmt.Sprintf("%U (%s)", r, name)
	}
	if r == '\u00A0' {
		return "U+00A0 (no-break space)"
	}
	return fmt.Sprintf("%U", r)
}

// checkCharacters rejects control characters, invisible format characters
// and spaces left inside s after trimming. Positions count characters from 1.
func checkCharacters(raw, s string) error {
	pos := 0
	for i, r := range s {
		pos++
		if r < utf8.RuneSelf && isPlainASCII(s[i]) {
			continue
		}
		switch {
		case unicode.IsControl(r):
			return reject(raw, "has control character %s at position %d", describe(r), pos)
		case unicode.Is(unicode.Cf, r):
			return reject(raw, "has invisible character %s at position %d", describe(r), pos)
		case unicode.IsSpace(r):
			return reject(raw, "has a space %s at position %d; an address has no spaces",
				describe(r), pos)
		}
	}
	return nil
}

// isAtext reports whether c may appear unquoted in a local part: the atext
// of RFC 5322 section 3.2.3 (dots are checked separately).
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// checkLocal checks the local part as an unquoted dot-string
// (RFC 5321 section 4.1.2).
func checkLocal(raw, local string) error {
	if len(local) > MaxLocalLength {
		return reject(raw, "part before the @ is %d octets long; RFC 5321 allows at most %d",
			len(local), MaxLocalLength)
	}
	if !isASCII(local) {
		return reject(raw, "part before the @ has non-ASCII characters; "+
			"internationalised mailboxes (RFC 6531) are not supported")
	}
	if local[0] == '.' || local[len(local)-1] == '.' {
		return reject(raw, "part before the @ starts or ends with a dot")
	}
	if strings.Contains(local, "..") {
		return reject(raw, "part before the @ has two dots in a row")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return reject(raw, "part before the @ has %q, which an address can only have "+
				"inside quotes; quoted addresses are not accepted", c)
		}
	}
	return nil
}

// checkDomain checks an ASCII, lower-case domain: dot-separated labels of
// letters, digits and inner hyphens (RFC 1035 section 2.3.1, RFC 5321
// section 4.1.2), at least two of them, and a last label that is not a number.
func checkDomain(raw, domain string) error {
	if domain[0] == '.' || domain[len(domain)-1] == '.' {
		return reject(raw, "domain %q starts or ends with a dot", domain)
	}
	if strings.IndexByte(domain, '.') < 0 {
		return reject(raw, "domain %q has no dot; use a full domain such as example.com", domain)
	}
	rest, label := domain, ""
	for rest != "" {
		label, rest, _ = strings.Cut(rest, ".")
		if err := checkLabel(raw, domain, label); err != nil {
			return err
		}
	}
	if isDigits(label) {
		return reject(raw, "domain %q looks like an IP address; use the mail domain instead",
			domain)
	}
	return nil
}

func checkLabel(raw, domain, label string) error {
	switch {
	case label == "":
		return reject(raw, "domain %q has two dots in a row", domain)
	case len(label) > maxLabelLength:
		return reject(raw, "domain %q has a label longer than %d octets", domain, maxLabelLength)
	case label[0] == '-' || label[len(label)-1] == '-':
		return reject(raw, "domain %q has a label that starts or ends with a hyphen", domain)
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return reject(raw, "domain %q has %q, which a domain name cannot have", domain, c)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
