package message

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/pacer-email/pacer/internal/render"
)

const (
	textType = "text/plain; charset=utf-8"
	htmlType = "text/html; charset=utf-8"
)

// boundaryStart begins every multipart boundary. Quoted-printable output
// never contains "=_", because each '=' in it starts an escape of two hex
// digits or a soft line break, so no line of an encoded part can be a
// boundary delimiter. The '=' makes the boundary parameter a quoted string.
const boundaryStart = "=_"

// appendMessage appends the unsigned message: one text/plain part without
// HTML, else a multipart/alternative of text/plain and then text/html. Each
// part is quoted-printable.
func (b *Builder) appendMessage(dst []byte, m *Message) ([]byte, error) {
	if m.HTML == "" && m.Text == "" {
		return dst, ErrNoBody
	}
	v, err := b.checkHeader(m)
	if err != nil {
		return dst, err
	}
	text := m.Text
	if text == "" {
		text = render.HTMLToText(m.HTML)
	}
	if m.HTML == "" {
		dst = append(dst, "Content-Transfer-Encoding: quoted-printable\r\n"+
			"Content-Type: "+textType+"\r\n"...)
		dst = b.appendHeader(dst, m, &v)
		dst = append(dst, "\r\n"...)
		return appendQuotedPrintable(dst, text), nil
	}

	b.nextBoundary()
	dst = append(dst, "Content-Type: multipart/alternative;\r\n boundary=\""...)
	dst = append(dst, b.boundary...)
	dst = append(dst, "\"\r\n"...)
	dst = b.appendHeader(dst, m, &v)
	dst = append(dst, "\r\n"...)
	// The part header fields are in the order go-message v0.18 wrote them.
	for _, part := range [...]struct{ contentType, body string }{{textType, text}, {htmlType, m.HTML}} {
		dst = append(dst, "--"...)
		dst = append(dst, b.boundary...)
		dst = append(dst, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"+
			"Content-Disposition: inline\r\n"+
			"Content-Type: "...)
		dst = append(dst, part.contentType...)
		dst = append(dst, "\r\n\r\n"...)
		dst = appendQuotedPrintable(dst, part.body)
		// This CRLF belongs to the delimiter, not to the part's content.
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "--"...)
	dst = append(dst, b.boundary...)
	return append(dst, "--\r\n"...), nil
}

// nextBoundary sets b.boundary to a boundary no other message uses: "=_",
// 24 hex digits drawn at random once per Builder, '-', and the Builder's
// message count in base 36. At most 40 octets, it stays within the 70 of
// RFC 2046, section 5.1.1.
func (b *Builder) nextBoundary() {
	if b.boundaryPrefix == "" {
		var random [12]byte
		rand.Read(random[:]) // documented to crash the program rather than return an error
		b.boundaryPrefix = boundaryStart + hex.EncodeToString(random[:]) + "-"
	}
	b.messages++
	b.boundary = strconv.AppendUint(append(b.boundary[:0], b.boundaryPrefix...), b.messages, 36)
}
