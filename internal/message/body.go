package message

import (
	"io"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/render"
)

const (
	textType = "text/plain; charset=utf-8"
	htmlType = "text/html; charset=utf-8"
)

// writeBody writes h and the body: one text/plain part without HTML, else a
// multipart/alternative of text/plain and then text/html. go-message gives
// each text part quoted-printable encoding.
func writeBody(w io.Writer, h mail.Header, m *Message) error {
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
		return writePart(part, text)
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
		if err := writePart(part, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

func writePart(part io.WriteCloser, body string) error {
	if _, err := io.WriteString(part, body); err != nil {
		return err
	}
	return part.Close()
}
