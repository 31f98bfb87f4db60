package message

import (
	"fmt"
	"mime"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"golang.org/x/net/idna"
)

// OneClickValue is the List-Unsubscribe-Post value of RFC 8058.
const OneClickValue = "List-Unsubscribe=One-Click"

// reserved are the fields this package writes; Message.Headers may not set them.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Reply-To": true, "Sender": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Disposition": true,
	"List-Unsubscribe": true, "List-Unsubscribe-Post": true, "Dkim-Signature": true,
	"Return-Path": true,
}

// headerValues are the checked and formatted values of the header fields
// that appendHeader writes.
type headerValues struct {
	from, to, replyTo string // replyTo is empty for a message without Reply-To
	subject           string
	date              time.Time
	oneClick          bool // whether List-Unsubscribe-Post is written
}

// checkHeader checks m's header values and formats them. It stores the
// extra fields with canonical keys and encoded values in b.extra.
func (b *Builder) checkHeader(m *Message) (headerValues, error) {
	var v headerValues
	// The fields are checked last first, so that the error names the same
	// field as before this package wrote the header itself.
	b.extra = append(b.extra[:0], m.Headers...)
	for i := len(b.extra) - 1; i >= 0; i-- {
		f := b.extra[i]
		key := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f.Key))
		if !validFieldName(key) || reserved[key] {
			return v, fmt.Errorf("message: extra header %q: use a custom name such as X-Pacer-ID", f.Key)
		}
		b.extra[i] = Field{key, mime.QEncoding.Encode("utf-8", oneLine(f.Value))}
	}
	if err := checkListUnsubscribe(m); err != nil {
		return v, err
	}
	v.oneClick = strings.HasPrefix(m.ListUnsubscribeURL, "https://")

	if err := checkToken("Message-ID", m.MessageID); err != nil || !strings.Contains(m.MessageID, "@") {
		return v, fmt.Errorf("message: Message-ID %q: want left@right without angle brackets", m.MessageID)
	}
	v.date = m.Date
	if v.date.IsZero() {
		v.date = time.Now()
	}
	v.subject = mime.QEncoding.Encode("utf-8", strings.TrimSpace(oneLine(m.Subject)))

	var err error
	if m.ReplyTo.Address != "" {
		if v.replyTo, err = formatAddress("Reply-To", m.ReplyTo); err != nil {
			return v, err
		}
	}
	if v.to, err = formatAddress("To", m.To); err != nil {
		return v, err
	}
	if v.from, err = formatAddress("From", m.From); err != nil {
		return v, err
	}
	return v, nil
}

// appendHeader appends the fields of a checked m from From to MIME-Version.
// The order and the names are those go-message v0.18 wrote before this
// package wrote the header itself: canonical names such as Message-Id and
// Mime-Version, and Message.Headers just before Mime-Version.
func (b *Builder) appendHeader(dst []byte, m *Message, v *headerValues) []byte {
	dst = appendField(dst, "From", v.from)
	dst = appendField(dst, "To", v.to)
	if v.replyTo != "" {
		dst = appendField(dst, "Reply-To", v.replyTo)
	}
	dst = appendField(dst, "Subject", v.subject)
	// The Date field is 37 octets for years up to 9999, so it is not folded.
	dst = append(dst, "Date: "...)
	dst = v.date.AppendFormat(dst, dateLayout)
	dst = append(dst, "\r\n"...)

	b.scratch = append(append(append(b.scratch[:0], '<'), m.MessageID...), '>')
	dst = appendField(dst, "Message-Id", b.scratch)
	b.scratch = appendListUnsubscribe(b.scratch[:0], m)
	dst = appendField(dst, "List-Unsubscribe", b.scratch)
	if v.oneClick {
		dst = appendField(dst, "List-Unsubscribe-Post", OneClickValue)
	}
	for _, f := range b.extra {
		dst = appendField(dst, f.Key, f.Value)
	}
	return append(dst, "Mime-Version: 1.0\r\n"...)
}

// dateLayout is the RFC 5322 date-time with a numeric zone and a two-digit
// day, as go-message writes it.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// Line lengths of header fields, not counting CRLF. go-message v0.18 folds at
// 76 octets, below the 78 that RFC 5322, section 2.1.1, recommends, and no
// line may exceed 998.
const (
	preferredFieldLine = 76
	maxFieldLine       = 998
)

// appendField appends the field "key: value" with CRLF. It folds the value
// the way go-message v0.18 does, so that the header stays what it was: lines
// break before a space or tab so that each is at most 76 octets. A run
// without whitespace that does not fit stays whole on a line of up to 998
// octets. Only a longer run is split by inserting CRLF and a space, which
// changes the value. A field name of more than 995 octets makes its own line
// longer than 998. The value must not contain CR or LF.
func appendField[T string | []byte](dst []byte, key string, value T) []byte {
	dst = append(dst, key...)
	dst = append(dst, ':', ' ')
	if len(value) == 0 {
		return append(dst, '\r', '\n')
	}
	first := len(key) + 2 // the first line also holds the field name
	for len(value) > 0 {
		// go-message v0.18 panics when the name leaves less than one octet
		// of the line, so the limits are kept at one octet or more.
		line, rest, insertSpace := foldAt(value, max(preferredFieldLine-first, 1))
		if insertSpace {
			line, rest, insertSpace = foldAt(value, max(maxFieldLine-first, 1))
		}
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
		if insertSpace {
			dst = append(dst, ' ')
		}
		value = rest
		first = 0
	}
	return dst
}

// foldAt splits value for a line of at most limit octets: before the last
// space or tab within the first limit+1 octets, so that the line is at most
// limit octets and the whitespace starts the next line. insertSpace reports
// that no whitespace was found and the caller must add one to fold there.
func foldAt[T string | []byte](value T, limit int) (line, rest T, insertSpace bool) {
	if limit+1 > len(value) {
		return value, value[len(value):], false
	}
	at := -1
	for i := limit; i >= 0; i-- {
		if value[i] == ' ' || value[i] == '\t' {
			at = i
			break
		}
	}
	switch {
	case at == 0:
		// The whitespace found starts this line, left by the previous fold.
		at = limit
	case at < 0:
		at = limit - 1
	}
	if value[at] == ' ' || value[at] == '\t' {
		return value[:at], value[at:], false
	}
	return value[:at], value[at:], true
}

// checkListUnsubscribe checks the unsubscribe URL and address of m. At least
// one must be given.
func checkListUnsubscribe(m *Message) error {
	if u := m.ListUnsubscribeURL; u != "" {
		if err := checkToken("List-Unsubscribe URL", u); err != nil {
			return err
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("message: List-Unsubscribe URL %q is not an http(s) URL", u)
		}
	}
	if to := m.ListUnsubscribeMailto; to != "" {
		if err := checkToken("List-Unsubscribe address", to); err != nil {
			return err
		}
	}
	if m.ListUnsubscribeURL == "" && m.ListUnsubscribeMailto == "" {
		return fmt.Errorf("message: no List-Unsubscribe URL or address: bulk mail must offer one")
	}
	return nil
}

// appendListUnsubscribe appends the List-Unsubscribe value of a checked m:
// the http(s) URL, then the mailto URI, each in angle brackets. An address
// without "mailto:" becomes a mailto URI with the subject "unsubscribe".
func appendListUnsubscribe(dst []byte, m *Message) []byte {
	if u := m.ListUnsubscribeURL; u != "" {
		dst = append(dst, '<')
		dst = append(dst, u...)
		dst = append(dst, '>')
	}
	if to := m.ListUnsubscribeMailto; to != "" {
		if m.ListUnsubscribeURL != "" {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '<')
		if strings.HasPrefix(to, "mailto:") {
			dst = append(dst, to...)
		} else {
			dst = append(dst, "mailto:"...)
			dst = append(dst, to...)
			dst = append(dst, "?subject=unsubscribe"...)
		}
		dst = append(dst, '>')
	}
	return dst
}

// formatAddress checks a and formats it as net/mail does, with an RFC 2047
// encoded display name when the name is not ASCII.
func formatAddress(field string, a mail.Address) (string, error) {
	checked, err := address(field, a)
	if err != nil {
		return "", err
	}
	return checked.String(), nil
}

// address checks an address and converts a non-ASCII domain to its IDNA
// form. It rejects a non-ASCII local part, because that needs SMTPUTF8.
func address(field string, a mail.Address) (mail.Address, error) {
	addr := strings.TrimSpace(a.Address)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return mail.Address{}, fmt.Errorf("message: %s address %q is not local@domain", field, a.Address)
	}
	local, domain := addr[:at], addr[at+1:]
	// isToken runs first so that a valid address allocates no error label.
	if !isToken(local) {
		err := checkToken(field+" address", local)
		return mail.Address{}, fmt.Errorf("%w (a non-ASCII local part needs SMTPUTF8, which pacer does not use)", err)
	}
	if !isASCII(domain) {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return mail.Address{}, fmt.Errorf("message: %s address %q: domain: %w", field, a.Address, err)
		}
		domain = ascii
		addr = local + "@" + domain
	}
	if !isToken(domain) {
		return mail.Address{}, checkToken(field+" address", domain)
	}
	return mail.Address{Name: strings.TrimSpace(oneLine(a.Name)), Address: addr}, nil
}

// checkToken rejects empty values and values with anything but printable
// ASCII, or with angle brackets, which would end a <URI> or <msg-id>.
func checkToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("message: empty %s", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return fmt.Errorf("message: %s %q has %q; only printable ASCII without <> is allowed", what, s, c)
		}
	}
	return nil
}

// isToken reports whether checkToken accepts s.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// oneLine replaces line breaks and other control characters with spaces,
// so a value can never start a new header field.
func oneLine(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
