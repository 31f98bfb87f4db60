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

// header builds the message's header fields. go-message writes the field
// added last first, so they are added from the bottom up.
func header(m *Message) (mail.Header, error) {
	var h mail.Header
	h.Set("MIME-Version", "1.0")
	if err := extraFields(&h, m.Headers); err != nil {
		return h, err
	}
	if err := listUnsubscribe(&h, m); err != nil {
		return h, err
	}

	if err := checkToken("Message-ID", m.MessageID); err != nil || !strings.Contains(m.MessageID, "@") {
		return h, fmt.Errorf("message: Message-ID %q: want left@right without angle brackets", m.MessageID)
	}
	h.SetMessageID(m.MessageID)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	h.SetDate(date)
	h.SetSubject(strings.TrimSpace(oneLine(m.Subject)))

	return h, addresses(&h, m)
}

// extraFields adds Message.Headers, last first.
func extraFields(h *mail.Header, fields []Field) error {
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		key := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f.Key))
		if !validFieldName(key) || reserved[key] {
			return fmt.Errorf("message: extra header %q: use a custom name such as X-Pacer-ID", f.Key)
		}
		h.Add(key, mime.QEncoding.Encode("utf-8", oneLine(f.Value)))
	}
	return nil
}

// addresses sets Reply-To, To and From, in this order so that From comes
// first.
func addresses(h *mail.Header, m *Message) error {
	fields := []struct {
		key      string
		addr     mail.Address
		optional bool
	}{{"Reply-To", m.ReplyTo, true}, {"To", m.To, false}, {"From", m.From, false}}
	for _, f := range fields {
		if f.optional && f.addr.Address == "" {
			continue
		}
		a, err := address(f.key, f.addr)
		if err != nil {
			return err
		}
		h.SetAddressList(f.key, []*mail.Address{a})
	}
	return nil
}

// listUnsubscribe sets List-Unsubscribe and, for an https URL,
// List-Unsubscribe-Post.
func listUnsubscribe(h *mail.Header, m *Message) error {
	var uris []string
	if u := m.ListUnsubscribeURL; u != "" {
		if err := checkToken("List-Unsubscribe URL", u); err != nil {
			return err
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("message: List-Unsubscribe URL %q is not an http(s) URL", u)
		}
		uris = append(uris, "<"+u+">")
	}
	if to := m.ListUnsubscribeMailto; to != "" {
		if err := checkToken("List-Unsubscribe address", to); err != nil {
			return err
		}
		if !strings.HasPrefix(to, "mailto:") {
			to = "mailto:" + to + "?subject=unsubscribe"
		}
		uris = append(uris, "<"+to+">")
	}
	if len(uris) == 0 {
		return fmt.Errorf("message: no List-Unsubscribe URL or address: bulk mail must offer one")
	}
	if strings.HasPrefix(m.ListUnsubscribeURL, "https://") {
		h.Set("List-Unsubscribe-Post", OneClickValue)
	}
	h.Set("List-Unsubscribe", strings.Join(uris, ", "))
	return nil
}

// address checks an address and converts a non-ASCII domain to its IDNA
// form. It rejects a non-ASCII local part, because that needs SMTPUTF8.
func address(field string, a mail.Address) (*mail.Address, error) {
	addr := strings.TrimSpace(a.Address)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return nil, fmt.Errorf("message: %s address %q is not local@domain", field, a.Address)
	}
	local, domain := addr[:at], addr[at+1:]
	if err := checkToken(field+" address", local); err != nil {
		return nil, fmt.Errorf("%w (a non-ASCII local part needs SMTPUTF8, which pacer does not use)", err)
	}
	if !isASCII(domain) {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return nil, fmt.Errorf("message: %s address %q: domain: %w", field, a.Address, err)
		}
		domain = ascii
	}
	if err := checkToken(field+" address", domain); err != nil {
		return nil, err
	}
	return &mail.Address{Name: strings.TrimSpace(oneLine(a.Name)), Address: local + "@" + domain}, nil
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
