package activities

import (
	"bytes"
	"time"

	"github.com/emersion/go-message/mail"
)

// outgoing is the header and body data of one message.
type outgoing struct {
	FromName, FromEmail, ReplyTo string
	ToName, ToEmail              string
	Subject, HTML, Text          string
	MessageID                    string
	ListUnsubscribeURL           string
	ListUnsubscribeMailto        string
	PacerID                      string
}

// appendTo builds the MIME message with go-message and appends it to dst.
// TODO: replace with internal/message once it builds and signs messages.
func (m outgoing) appendTo(dst []byte) ([]byte, error) {
	var h mail.Header
	h.SetDate(time.Now())
	h.SetAddressList("From", []*mail.Address{{Name: m.FromName, Address: m.FromEmail}})
	h.SetAddressList("To", []*mail.Address{{Name: m.ToName, Address: m.ToEmail}})
	h.SetSubject(m.Subject)
	h.SetMessageID(m.MessageID)
	h.Set("List-Unsubscribe", "<"+m.ListUnsubscribeURL+">, <mailto:"+m.ListUnsubscribeMailto+"?subject=unsubscribe>")
	h.Set("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	h.Set("X-Pacer-ID", m.PacerID)
	buf := bytes.NewBuffer(dst)
	w, err := mail.CreateWriter(buf, h)
	if err != nil {
		return nil, err
	}
	tw, err := w.CreateInline()
	if err != nil {
		return nil, err
	}
	for _, part := range []struct{ ct, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if part.body == "" {
			continue
		}
		var ph mail.InlineHeader
		ph.Set("Content-Type", part.ct+"; charset=utf-8")
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := tw.CreatePart(ph)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := pw.Close(); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
