// Package message builds the MIME message of one campaign mail and signs it
// with DKIM.
//
// The message is a multipart/alternative with the text/plain part first and
// the text/html part last, or a single text/plain part for a text-only mail.
// An HTML-only mail still gets a text part, made with [render.HTMLToText].
// Text parts are UTF-8 in quoted-printable, so no line of the body exceeds 76
// octets even when the HTML is one long line, well within the 998 of RFC
// 5322. Line breaks in the bodies, whether CRLF, CR or LF, become CRLF. The
// package writes this structure itself, with the header fields, field order
// and folding that github.com/emersion/go-message v0.18 produced, because
// go-message's writers took most of a build's CPU time. Each multipart
// message has its own boundary, which starts with "=_" so that no
// quoted-printable line can match it.
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
	"errors"
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
	unsigned []byte
	signed   []byte
	extra    []Field // Message.Headers, checked and encoded
	scratch  []byte  // a header value being formatted

	boundaryPrefix string // random per Builder, set by nextBoundary
	messages       uint64 // messages given a boundary so far
	boundary       []byte // the boundary of the message being built
}

// Build returns the complete message, signed with key unless key is nil. The
// result is valid until the next call of Build.
func (b *Builder) Build(m *Message, key *DKIMKey) ([]byte, error) {
	unsigned, err := b.appendMessage(b.unsigned[:0], m)
	b.unsigned = unsigned
	if err != nil {
		return nil, err
	}
	if key == nil {
		return b.unsigned, nil
	}
	sig, err := key.sign(b.unsigned)
	if err != nil {
		return nil, err
	}
	b.signed = append(append(b.signed[:0], sig...), b.unsigned...)
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
