// Package message builds the MIME message of one campaign mail and signs it
// with DKIM.
//
// The structure comes from github.com/emersion/go-message: a multipart/
// alternative with the text/plain part first and the text/html part last, or
// a single text/plain part for a text-only mail. An HTML-only mail still gets
// a text part, made with [render.HTMLToText]. Text parts are UTF-8 in
// quoted-printable, so no line of the body exceeds 76 octets even when the
// HTML is one long line, well within the 998 of RFC 5322.
//
// Header fields are pure ASCII: a non-ASCII subject or display name becomes
// RFC 2047 encoded-words of at most 75 characters that never split a UTF-8
// sequence, while an ASCII subject is sent as it is. Values are never HTML
// escaped, and line breaks in them are turned into spaces so that a merge
// value cannot add a header field. Every message carries List-Unsubscribe
// and, for an https URL, List-Unsubscribe-Post (RFC 8058).
//
// The return path is not a header field: it is the SMTP envelope sender.
package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-message/mail"
)

// Message is one rendered mail for one recipient.
type Message struct {
	From    mail.Address
	To      mail.Address
	ReplyTo mail.Address // no Reply-To field when Address is empty
	// Subject is the rendered subject in UTF-8, not encoded.
	Subject string
	// HTML and Text are the rendered bodies. Either may be empty, not both;
	// without Text, the text part is made from HTML.
	HTML string
	Text string
	// MessageID is the Message-ID without angle brackets, such as
	// mailid's "pacer.12.345.mac@news.example.org".
	MessageID string
	// Date is the Date field; the current time when zero.
	Date time.Time
	// ListUnsubscribeURL is the https URL of one-click unsubscribe, and
	// ListUnsubscribeMailto the address (or mailto: URI) of mail-based
	// unsubscribe. Give at least one.
	ListUnsubscribeURL    string
	ListUnsubscribeMailto string
	// Headers are added as they are, after the standard fields: X-Pacer-ID
	// and the like. They may not replace a field this package writes.
	Headers []Field
}

// Field is one extra header field.
type Field struct {
	Key, Value string
}

// Builder builds messages into buffers it reuses, so that building many
// messages allocates little. A Builder is not safe for concurrent use: give
// each sending goroutine its own.
type Builder struct {
	unsigned bytes.Buffer
	signed   []byte
}

// Build returns the complete message, signed with key unless key is nil. The
// result is valid until the next call of Build.
func (b *Builder) Build(m *Message, key *DKIMKey) ([]byte, error) {
	b.unsigned.Reset()
	if err := write(&b.unsigned, m); err != nil {
		return nil, err
	}
	if key == nil {
		return b.unsigned.Bytes(), nil
	}
	sig, err := key.sign(b.unsigned.Bytes())
	if err != nil {
		return nil, err
	}
	b.signed = append(append(b.signed[:0], sig...), b.unsigned.Bytes()...)
	return b.signed, nil
}

// Write writes the message to w, signed with key unless key is nil.
func Write(w io.Writer, m *Message, key *DKIMKey) error {
	var b Builder
	msg, err := b.Build(m, key)
	if err != nil {
		return err
	}
	_, err = w.Write(msg)
	return err
}

// ErrNoBody is returned for a message without HTML and without text.
var ErrNoBody = errors.New("message: no body: give HTML, text or both")

// write writes the unsigned message.
func write(w io.Writer, m *Message) error {
	if m.HTML == "" && m.Text == "" {
		return ErrNoBody
	}
	h, err := header(m)
	if err != nil {
		return err
	}
	if err := writeBody(w, h, m); err != nil {
		return fmt.Errorf("message: write %s: %w", m.MessageID, err)
	}
	return nil
}
