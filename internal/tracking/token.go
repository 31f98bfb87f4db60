package tracking

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/pacer-email/pacer/internal/mailid"
)

// clickMACLabel separates click MACs from the signer's other MACs.
const clickMACLabel = "click"

// A token that carries its target marks its link field with the target's
// scheme, which is left out of the base64 text. This saves ten characters
// and keeps "aHR0c", base64 for "http", out of the URL: it is an easily
// recognised sign of an encoded redirect target, which filters may mistrust.
var inlineSchemes = []struct {
	mark   byte
	prefix string
}{
	{'s', "https://"},
	{'h', "http://"},
	{'u', ""}, // any other spelling, such as HTTPS://
}

var inline = base64.RawURLEncoding

// Click is a verified click token.
type Click struct {
	ID mailid.ID
	// Link is the index of the target in the campaign's registered links,
	// or -1 when the token carries Target itself.
	Link   int
	Target string
}

// appendClickToken appends "<campaign>.<subscriber>.<link>.<mac>" for target.
// The link field and the MAC are written straight into dst, and the MAC is
// computed over the token's own bytes, so building a token allocates only
// when dst grows.
func (t *Tracker) appendClickToken(dst []byte, ids *messageIDs, links *Links, target string) []byte {
	campaign, subscriber := ids.campaign(), ids.subscriber()
	dst = append(dst, campaign...)
	dst = append(dst, '.')
	dst = append(dst, subscriber...)
	dst = append(dst, '.')
	fieldStart := len(dst)
	if i, ok := links.Index(target); ok {
		dst = strconv.AppendInt(dst, int64(i), 10)
	} else {
		dst = appendInlineField(dst, target)
	}
	fieldEnd := len(dst)
	dst = append(dst, '.')
	return t.signer.AppendMACBytes(dst, []byte(clickMACLabel), campaign, subscriber, dst[fieldStart:fieldEnd])
}

// ParseClick verifies a click token, the path segment after /t/c/. It
// returns false for anything this tracker did not sign. Trailing dots and
// commas, which some clients take into a link from the text part, are
// ignored: a token never ends in one.
func (t *Tracker) ParseClick(token string) (Click, bool) {
	token = strings.TrimRight(token, ".,")
	c, rest, ok1 := strings.Cut(token, ".")
	s, rest, ok2 := strings.Cut(rest, ".")
	field, mac, ok3 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !ok3 || field == "" || !isDecimal(c) || !isDecimal(s) {
		return Click{}, false
	}
	if !t.signer.VerifyMAC(mac, clickMACLabel, c, s, field) {
		return Click{}, false
	}

	campaign, err1 := strconv.ParseInt(c, 10, 64)
	subscriber, err2 := strconv.ParseInt(s, 10, 64)
	if err1 != nil || err2 != nil || campaign <= 0 || subscriber <= 0 {
		return Click{}, false
	}
	click := Click{ID: mailid.ID{CampaignID: campaign, SubscriberID: subscriber}, Link: -1}

	if isDecimal(field) {
		i, err := strconv.Atoi(field)
		if err != nil {
			return Click{}, false
		}
		click.Link = i
		return click, true
	}
	target, ok := parseInlineField(field)
	if !ok {
		return Click{}, false
	}
	click.Target = target
	return click, true
}

// appendInlineField appends the link field of a token that carries target:
// the mark of its scheme and the rest of target in base64url without
// padding.
func appendInlineField(dst []byte, target string) []byte {
	for _, s := range inlineSchemes {
		if hasPrefix(target, s.prefix) {
			dst = append(dst, s.mark)
			return appendBase64URL(dst, target[len(s.prefix):])
		}
	}
	panic("unreachable: the last scheme matches any target")
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// appendBase64URL appends s in base64url without padding (RFC 4648
// section 5), as inline.Encode would, without copying s into a byte slice.
func appendBase64URL(dst []byte, s string) []byte {
	i := 0
	for ; i+3 <= len(s); i += 3 {
		v := uint(s[i])<<16 | uint(s[i+1])<<8 | uint(s[i+2])
		dst = append(dst,
			base64URLAlphabet[v>>18&0x3f], base64URLAlphabet[v>>12&0x3f],
			base64URLAlphabet[v>>6&0x3f], base64URLAlphabet[v&0x3f])
	}
	switch len(s) - i {
	case 1:
		v := uint(s[i]) << 16
		dst = append(dst, base64URLAlphabet[v>>18&0x3f], base64URLAlphabet[v>>12&0x3f])
	case 2:
		v := uint(s[i])<<16 | uint(s[i+1])<<8
		dst = append(dst, base64URLAlphabet[v>>18&0x3f], base64URLAlphabet[v>>12&0x3f],
			base64URLAlphabet[v>>6&0x3f])
	}
	return dst
}

func parseInlineField(field string) (string, bool) {
	for _, s := range inlineSchemes {
		if field[0] == s.mark {
			rest, err := inline.DecodeString(field[1:])
			return s.prefix + string(rest), err == nil
		}
	}
	return "", false
}

// isDecimal reports whether s is a non-empty run of ASCII digits.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
