// Package tracking makes the signed URLs pacer puts into messages, rewrites
// links for click tracking, inserts the open pixel and separates machine
// traffic from people.
//
// # URLs
//
// All URLs hang off one base, such as https://news.example.org:
//
//	<base>/t/c/<click token>          click redirect
//	<base>/t/o/<message token>.gif    open pixel
//	<base>/u/<message token>          unsubscribe (also RFC 8058 one-click POST)
//
// A message token is [mailid.Signer.Token]: "<campaign>.<subscriber>.<mac>".
// A campaign without tracking skips [Tracker.Rewrite], [Tracker.RewriteText]
// and [Tracker.AddOpenPixel], and still uses [Tracker.UnsubscribeURL].
//
// # Click tokens
//
// A click token names the campaign, the subscriber and the link, and carries
// an HMAC over all three made with the mailid signer, so the redirector can
// check it without any lookup. A forged or altered token is rejected and the
// server responds with 404, so it is never an open redirect. A token has one
// of these forms:
//
//	<campaign>.<subscriber>.<index>.<mac>      the index-th link the campaign registered
//	<campaign>.<subscriber>.s<rest>.<mac>      the target itself: "https://" and the rest
//	                                           in base64url without padding ("h" for
//	                                           http://, "u" for anything else)
//
// Registering links is optional. Before a campaign starts, the caller may
// collect its links ([Tracker.CollectLinks] on the HTML rendered for a sample
// subscriber) and store them as an append-only list; workers pass the list as
// [Message.Links] and the redirector keeps it in a [LinkCache], so resolving
// an indexed token costs at most one keyed lookup per campaign. Any target not
// in the list, such as a link personalised per subscriber, travels inside its
// token and needs no lookup at all. Indexed tokens are shorter: a 100-byte
// target costs about 125 bytes inline, twice per message with the text part.
//
// # Targets
//
// The stored target is the href with HTML entities decoded once, as a browser
// does (&amp; becomes &), leading and trailing white space and any tab or
// line break inside removed, and nothing else changed: percent escapes,
// query order, fragments and non-ASCII characters stay as written. Only
// [LocationHeader] escapes non-ASCII, when the redirect is answered.
package tracking

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/pacer-email/pacer/internal/mailid"
)

// Path prefixes under the base URL, for the server's routes.
const (
	ClickPath       = "/t/c/"
	OpenPath        = "/t/o/"
	UnsubscribePath = "/u/"
	openSuffix      = ".gif"
)

// Tracker builds and checks the tracking and unsubscribe URLs of one pacer
// installation. It is safe for concurrent use.
type Tracker struct {
	signer *mailid.Signer
	base   string // scheme and host, maybe a path, never a trailing slash
}

// New returns a Tracker for URLs under baseURL, an absolute http or https URL
// without query or fragment, such as "https://news.example.org".
func New(signer *mailid.Signer, baseURL string) (*Tracker, error) {
	if signer == nil {
		return nil, fmt.Errorf("tracking: no signer")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("tracking: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("tracking: base URL %q must be http(s)://host[/path], "+
			"without user, query or fragment", baseURL)
	}
	base := baseURL
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	for i := 0; i < len(base); i++ {
		if !isPlainURLByte(base[i]) {
			return nil, fmt.Errorf("tracking: base URL %q has %q; use letters, digits and -._~:/%%[] only",
				baseURL, base[i])
		}
	}
	return &Tracker{signer: signer, base: base}, nil
}

// isPlainURLByte reports bytes that need no escaping in a URL or in an HTML
// attribute value, quoted or not.
func isPlainURLByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/' || c == '%' ||
		c == '[' || c == ']'
}

// UnsubscribeURL returns <base>/u/<token> for the message id. It is produced
// whether or not the campaign tracks.
func (t *Tracker) UnsubscribeURL(id mailid.ID) string {
	return t.base + UnsubscribePath + t.signer.Token(id)
}

// OpenURL returns the open pixel's URL, <base>/t/o/<token>.gif.
func (t *Tracker) OpenURL(id mailid.ID) string {
	return t.base + OpenPath + t.signer.Token(id) + openSuffix
}

// ClickURL returns the tracking URL for target in the message m.
func (t *Tracker) ClickURL(m Message, target string) string {
	ids := newMessageIDs(m.ID)
	return string(t.appendClickURL(nil, &ids, m.Links, target))
}

// ParseUnsubscribe checks the token of an unsubscribe URL.
func (t *Tracker) ParseUnsubscribe(token string) (mailid.ID, bool) {
	return t.signer.ParseToken(token)
}

// ParseOpen checks the last path segment of an open pixel URL, with or
// without its ".gif".
func (t *Tracker) ParseOpen(segment string) (mailid.ID, bool) {
	if n := len(segment) - len(openSuffix); n >= 0 && segment[n:] == openSuffix {
		segment = segment[:n]
	}
	return t.signer.ParseToken(segment)
}

// Message contains the fields of one message that link rewriting uses.
type Message struct {
	ID mailid.ID
	// UnsubscribeURL is the message's unsubscribe link; links equal to it
	// are left alone.
	UnsubscribeURL string
	// Links are the campaign's registered links, or nil.
	Links *Links
}

// messageIDs holds the decimal forms of a message's ids, which every click
// token of the message repeats. They live in an array so that making them
// allocates nothing.
type messageIDs struct {
	digits        [2 * 20]byte // the campaign, then the subscriber; an int64 takes at most 20 bytes with its sign
	campaignLen   int
	subscriberLen int
}

func newMessageIDs(id mailid.ID) messageIDs {
	var ids messageIDs
	c := strconv.AppendInt(ids.digits[:0], id.CampaignID, 10)
	s := strconv.AppendInt(c[len(c):], id.SubscriberID, 10)
	ids.campaignLen, ids.subscriberLen = len(c), len(s)
	return ids
}

func (ids *messageIDs) campaign() []byte { return ids.digits[:ids.campaignLen] }

func (ids *messageIDs) subscriber() []byte {
	return ids.digits[ids.campaignLen : ids.campaignLen+ids.subscriberLen]
}

func (t *Tracker) appendClickURL(dst []byte, ids *messageIDs, links *Links, target string) []byte {
	dst = append(dst, t.base...)
	dst = append(dst, ClickPath...)
	return t.appendClickToken(dst, ids, links, target)
}

// isOwnURL reports whether target already points at this tracker, so that
// rewriting twice changes nothing.
func (t *Tracker) isOwnURL(target string) bool {
	if len(target) <= len(t.base) || target[:len(t.base)] != t.base {
		return false
	}
	rest := target[len(t.base):]
	return hasPrefix(rest, "/t/") || hasPrefix(rest, UnsubscribePath)
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}
