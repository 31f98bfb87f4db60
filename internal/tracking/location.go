package tracking

import (
	"strings"

	"golang.org/x/net/idna"
)

const upperHex = "0123456789ABCDEF"

// LocationHeader returns target in the form to send in the Location header
// of the click redirect. Targets are stored as written, so this is the one
// place where they are escaped. A non-ASCII host becomes its IDNA (punycode)
// form. Each byte of a non-ASCII character (in UTF-8), a space or a control
// character becomes %XX. Existing %XX escapes, brackets and the rest of the
// target are left alone, so nothing is escaped twice.
func LocationHeader(target string) string {
	if isPlainHeaderValue(target) {
		return target
	}
	if i := strings.Index(target, "://"); i > 0 {
		hostStart := i + len("://")
		hostEnd := hostStart + strings.IndexAny(target[hostStart:]+"/", "/?#")
		if host, ok := asciiHost(target[hostStart:hostEnd]); ok {
			target = target[:hostStart] + host + target[hostEnd:]
		}
	}
	var b strings.Builder
	b.Grow(len(target) + 16)
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c > ' ' && c < 0x7f {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// asciiHost converts the host of an authority (user@host:port) to ASCII.
func asciiHost(authority string) (string, bool) {
	user, hostport := "", authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, hostport = authority[:at+1], authority[at+1:]
	}
	host, port := hostport, ""
	if c := strings.LastIndexByte(hostport, ':'); c >= 0 && !strings.Contains(hostport[c:], "]") {
		host, port = hostport[:c], hostport[c:]
	}
	if isPlainHeaderValue(host) {
		return authority, false
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return authority, false
	}
	return user + ascii + port, true
}

func isPlainHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
