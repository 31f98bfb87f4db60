package bounce

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/pacer-email/pacer/internal/mailid"
)

// analysis holds what the detectors share about one parsed message.
type analysis struct {
	top     *entity
	h       message.Header // the report's own header
	subject string
	envRcpt string
	signer  *mailid.Signer
	notes   []string

	text      string          // human-readable notice, cut before any copy of the original
	copyText  string          // text after a "copy of the message" separator
	returned  *message.Header // header of the returned original message, if any
	senders   []string        // envelope senders named by the report (X-Postfix-Sender, ...)
	own       []string        // addresses that are ours or a mail system's, see isOurs
	reporting *string         // reporting MTA of a plain notice, once computed
}

func newAnalysis(top *entity, envRcpt string, signer *mailid.Signer) *analysis {
	a := &analysis{top: top, h: top.header, envRcpt: strings.TrimSpace(envRcpt), signer: signer}
	a.subject, _ = a.h.Text("Subject") // undecodable words stay raw
	a.subject = unfold(capString(a.subject, 2*maxField))
	full := a.notificationText()
	if len(full) > maxScan {
		full = capString(full, maxScan)
		a.notes = append(a.notes, "long notice: only its start was scanned")
	}
	a.text, a.copyText = cutAtCopy(full)
	a.returned = a.returnedHeader()
	a.own = a.ownAddresses()
	return a
}

// unwrapForwarded returns the report inside a message that only forwards
// one as message/rfc822 (a relay or a mailbox rule that forwards bounces),
// or top itself.
func unwrapForwarded(top *entity) (*entity, bool) {
	if top.mediaType == "multipart/report" {
		return top, false
	}
	var inner *entity
	walk(top, func(e *entity) {
		switch {
		case e.mediaType == "message/delivery-status" || e.mediaType == "message/feedback-report":
			inner = top // a report of its own: keep it
		case inner == nil && e.inner != nil && e.inner.mediaType == "multipart/report":
			inner = e.inner
		}
	})
	if inner == nil || inner == top {
		return top, false
	}
	return inner, true
}

// walk visits the entity tree in document order without entering
// encapsulated messages, which are the returned originals.
func walk(e *entity, visit func(*entity)) {
	visit(e)
	for _, c := range e.children {
		walk(c, visit)
	}
}

// find returns the first entity outside returned messages whose type is one of types.
func (a *analysis) find(types ...string) []*entity {
	var out []*entity
	walk(a.top, func(e *entity) {
		for _, t := range types {
			if e.mediaType == t {
				out = append(out, e)
			}
		}
	})
	return out
}

// notificationText is the decoded text/plain of the report outside returned
// messages, or its HTML turned into text when there is no plain text. Broken
// multiparts and undecodable bodies reach here as their raw text.
func (a *analysis) notificationText() string {
	var plain, htm []string
	walk(a.top, func(e *entity) {
		switch e.mediaType {
		case "text/plain", "text/enriched":
			plain = append(plain, string(e.body))
		case "text/html":
			htm = append(htm, htmlToText(string(e.body)))
		}
	})
	switch {
	case len(plain) > 0:
		return strings.Join(plain, "\n\n")
	case len(htm) > 0:
		return strings.Join(htm, "\n\n")
	}
	return ""
}

// copyRe matches the line that starts a pasted copy of the original
// message: Exim's "------ This is a copy of the message, including all the
// headers. ------", qmail's "--- Below this line is a copy of the message.",
// Gmail's "----- Original message -----" and Exchange's "Original message headers:".
var copyRe = regexp.MustCompile(`(?im)^[ \t]*(-+[ \t]*.*(copy of (the|your) message|original message|returned message|unsent message|header of the original message|message headers? follows?).*|original message headers:?[ \t]*)$`)

// cutAtCopy splits text into the notice and the pasted copy of the original.
func cutAtCopy(text string) (notice, copied string) {
	loc := copyRe.FindStringIndex(text)
	if loc == nil {
		return text, ""
	}
	return text[:loc[0]], text[loc[1]:]
}

// returnedHeader finds the header of the original message: an encapsulated
// message/rfc822, a text/rfc822-headers part, or headers pasted after a
// copy separator.
func (a *analysis) returnedHeader() *message.Header {
	var found *message.Header
	walk(a.top, func(e *entity) {
		if found != nil || e == a.top {
			return
		}
		switch {
		case e.inner != nil:
			found = &e.inner.header
		case e.mediaType == "text/rfc822-headers" || e.mediaType == "message/global-headers":
			h, _ := splitHeader(skipBlankLines(e.body))
			found = &h
		}
	})
	if found != nil {
		return found
	}
	if a.copyText != "" {
		h, _ := splitHeader(skipBlankLines([]byte(strings.TrimLeft(a.copyText, " \t"))))
		if h.Len() > 0 {
			return &h
		}
	}
	return nil
}

// returnedTo returns the single To address of the returned message, or "".
func (a *analysis) returnedTo() string {
	if a.returned == nil {
		return ""
	}
	addrs := findAddresses(a.returned.Get("To"), 2)
	if len(addrs) != 1 {
		return ""
	}
	return addrs[0]
}

var daemonRe = regexp.MustCompile(`(?i)mailer-?daemon|mail-?daemon|postmaster|mail delivery (system|subsystem|service)|delivery subsystem`)

// fromDaemon reports whether the report comes from a mail system rather than a person.
func (a *analysis) fromDaemon() bool {
	return daemonRe.MatchString(a.h.Get("From")) || daemonRe.MatchString(a.h.Get("Sender"))
}

// isOurs reports whether addr is one of ours or a mail system's rather than
// a recipient: the envelope recipient, the report's To and From, our VERP and
// unsubscribe prefixes, mailer daemons, and the sender of the returned message.
func (a *analysis) isOurs(addr string) bool {
	lp := localPart(addr)
	if lp == mailid.BouncePrefix || strings.HasPrefix(lp, mailid.BouncePrefix+"+") ||
		strings.HasPrefix(lp, mailid.UnsubscribePrefix+"+") || daemonRe.MatchString(lp) {
		return true
	}
	for _, own := range a.own {
		if strings.EqualFold(own, addr) {
			return true
		}
	}
	return false
}

func (a *analysis) ownAddresses() []string {
	own := []string{cleanAddress(a.envRcpt)}
	for _, k := range []string{"To", "From", "Delivered-To", "X-Original-To", "Envelope-To"} {
		own = append(own, findAddresses(a.h.Get(k), 5)...)
	}
	if a.returned != nil {
		own = append(own, findAddresses(a.returned.Get("From"), 2)...)
	}
	return own
}
