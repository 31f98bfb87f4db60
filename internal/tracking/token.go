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
func (t *Tracker) appendClickToken(dst []byte, ids *messageIDs, links *Links, target string) []byte {
	var field string
	if i, ok := links.Index(target); ok {
		field = strconv.Itoa(i)
	} else {
		field = inlineField(target)
	}
	dst = append(dst, ids.campaign...)
	dst = append(dst, '.')
	dst = append(dst, ids.subscriber...)
	dst = append(dst, '.')
	dst = append(dst, field...)
	dst = append(dst, '.')
	return append(dst, t.signer.MAC(clickMACLabel, ids.campaign, ids.subscriber, field)...)
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

// inlineField returns the link field of a token that carries target.
func inlineField(target string) string {
	for _, s := range inlineSchemes {
		if hasPrefix(target, s.prefix) {
			rest := target[len(s.prefix):]
			buf := make([]byte, 1+inline.EncodedLen(len(rest)))
			buf[0] = s.mark
			inline.Encode(buf[1:], []byte(rest))
			return string(buf)
		}
	}
	panic("unreachable: the last scheme matches any target")
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
