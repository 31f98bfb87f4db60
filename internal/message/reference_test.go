package message

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/render"
)

// referenceBuild builds m with go-message's header and multipart writers,
// as Build did before it wrote the message itself. Tests compare Build's
// output with it: the header fields must be the same octets, apart from the
// multipart boundary, and the parts must decode to the same text.
func referenceBuild(m *Message) ([]byte, error) {
	if m.HTML == "" && m.Text == "" {
		return nil, ErrNoBody
	}
	h, err := referenceHeader(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := referenceWriteBody(&out, h, m); err != nil {
		return nil, fmt.Errorf("message: write %s: %w", m.MessageID, err)
	}
	return out.Bytes(), nil
}

// referenceHeader adds the fields from the bottom up, because go-message
// writes the field added last first.
func referenceHeader(m *Message) (mail.Header, error) {
	var h mail.Header
	h.Set("MIME-Version", "1.0")
	for i := len(m.Headers) - 1; i >= 0; i-- {
		f := m.Headers[i]
		key := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f.Key))
		if !validFieldName(key) || reserved[key] {
			return h, fmt.Errorf("message: extra header %q: use a custom name such as X-Pacer-ID", f.Key)
		}
		h.Add(key, mime.QEncoding.Encode("utf-8", oneLine(f.Value)))
	}
	if err := referenceListUnsubscribe(&h, m); err != nil {
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
			return h, err
		}
		h.SetAddressList(f.key, []*mail.Address{&a})
	}
	return h, nil
}

func referenceListUnsubscribe(h *mail.Header, m *Message) error {
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

func referenceWriteBody(w io.Writer, h mail.Header, m *Message) error {
	text := m.Text
	if text == "" {
		text = render.HTMLToText(m.HTML)
	}
	if m.HTML == "" {
		h.Set("Content-Type", textType)
		part, err := mail.CreateSingleInlineWriter(w, h)
		if err != nil {
			return err
		}
		return referenceWritePart(part, text)
	}
	mw, err := mail.CreateInlineWriter(w, h)
	if err != nil {
		return err
	}
	for _, p := range []struct{ contentType, body string }{{textType, text}, {htmlType, m.HTML}} {
		var ph mail.InlineHeader
		ph.Set("Content-Type", p.contentType)
		part, err := mw.CreatePart(ph)
		if err != nil {
			return err
		}
		if err := referenceWritePart(part, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

func referenceWritePart(part io.WriteCloser, body string) error {
	if _, err := io.WriteString(part, body); err != nil {
		return err
	}
	return part.Close()
}
