package smtpsend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/smtpreply"
)

// pipelined holds what a session needs to run transactions itself, with
// RFC 2920 PIPELINING, once go-smtp has opened the session (greeting, EHLO,
// STARTTLS, AUTH). go-smtp's client sends MAIL, RCPT and DATA one round
// trip at a time and dot-stuffs the body byte by byte. Here the three
// commands go out in one write, their replies are read together, and the
// body is stuffed in one pass. Both readers share the connection, which is
// safe because an SMTP server writes only replies to commands sent to it.
type pipelined struct {
	conn net.Conn
	// raw is the TCP connection under conn (which may be TLS), read only to
	// see whether the server closed it.
	raw net.Conn
	r   *textproto.Reader
	out []byte
}

func newPipelined(conn, raw net.Conn) *pipelined {
	return &pipelined{conn: conn, raw: raw, r: textproto.NewReader(bufio.NewReaderSize(conn, 4096))}
}

// errClosedAfter354 is the failure of a server that closed or reset the
// connection after opening DATA: the final dot was never sent, so the
// message is retried.
var errClosedAfter354 = fmt.Errorf(
	"smtpsend: the server closed the connection after 354, before the message was sent: %w", io.ErrUnexpectedEOF)

// peerClosed reports, without waiting, whether the server closed or reset
// the connection or sent something it was not asked for.
func (p *pipelined) peerClosed() bool {
	return p.r.R.Buffered() > 0 || peerClosed(p.raw)
}

// peerClosed peeks at the socket of raw (MSG_PEEK | MSG_DONTWAIT, one
// system call). It reports whether the server closed or reset the
// connection, or sent data that no command requested.
func peerClosed(raw net.Conn) bool {
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var b [1]byte
	_ = rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// No error means data or end of stream; EAGAIN means the
		// connection is open and quiet, as it should be.
		closed = err == nil || (err != syscall.EAGAIN && err != syscall.EWOULDBLOCK)
		return true
	})
	return closed
}

// canPipeline reports whether a transaction from from to to can take the
// pipelined path: plain ASCII addresses with no line breaks. Anything else
// (SMTPUTF8 addresses, say) goes through go-smtp's client.
func canPipeline(from, to string) bool {
	for _, s := range []string{from, to} {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				return false
			}
		}
	}
	return true
}

// sendPipelined runs one transaction with MAIL, RCPT and DATA in one write.
// Once the server accepted the recipient and opened DATA, beforeDot runs,
// and the dot-stuffed body and the final dot go out in a second write.
func (c *Conn) sendPipelined(from, to string, msg []byte, beforeDot func() error) Result {
	p := c.pipe
	p.out = p.out[:0]
	if c.dirty {
		p.out = append(p.out, "RSET\r\n"...)
	}
	p.out = append(p.out, "MAIL FROM:<"...)
	p.out = append(p.out, from...)
	p.out = append(p.out, ">\r\nRCPT TO:<"...)
	p.out = append(p.out, to...)
	p.out = append(p.out, ">\r\nDATA\r\n"...)
	_ = p.conn.SetDeadline(time.Now().Add(c.commandTimeout))
	defer func() { _ = p.conn.SetDeadline(time.Time{}) }()
	if _, err := p.conn.Write(p.out); err != nil {
		return c.fail(smtpreply.Mail, err, false)
	}
	if c.dirty {
		if _, err := p.reply(250); err != nil {
			// The commands behind RSET are in flight; the session's state is
			// unknown now, so it is not reused.
			c.broken = true
			return c.fail(smtpreply.Mail, err, false)
		}
		c.dirty = false
	}
	_, mailErr := p.reply(250)
	_, rcptErr := p.reply(25)
	_, dataErr := p.reply(354)
	switch {
	case isBroken(mailErr) || isBroken(rcptErr) || isBroken(dataErr):
		c.broken = true
		return c.fail(firstStage(mailErr, rcptErr, dataErr), errors.Join(mailErr, rcptErr, dataErr), false)
	case dataErr == nil && (mailErr != nil || rcptErr != nil):
		// The server opened DATA although MAIL or RCPT failed. End the
		// empty message and drop the session, whose state is now doubtful.
		_, _ = p.conn.Write([]byte(".\r\n"))
		c.broken = true
		if mailErr != nil {
			return c.fail(smtpreply.Mail, mailErr, false)
		}
		return c.fail(smtpreply.Rcpt, rcptErr, false)
	case mailErr != nil:
		return c.fail(smtpreply.Mail, mailErr, false)
	case rcptErr != nil:
		return c.fail(smtpreply.Rcpt, rcptErr, false)
	case dataErr != nil:
		return c.fail(smtpreply.Data, dataErr, false)
	}
	if p.peerClosed() {
		c.broken = true
		return c.fail(smtpreply.Data, errClosedAfter354, false)
	}
	if err := beforeDot(); err != nil {
		// Close the session without a dot, so the server drops the
		// transaction it has open.
		c.broken = true
		return Result{Stage: smtpreply.Data, Err: fmt.Errorf("%w: %w", ErrNotClaimed, err)}
	}
	p.out = append(appendStuffed(p.out[:0], msg), ".\r\n"...)
	c.tracked.writeFailed = false
	_ = p.conn.SetDeadline(time.Now().Add(c.submissionTimeout))
	if _, err := p.conn.Write(p.out); err != nil {
		// The dot is the last byte of the write, so a failed write never
		// delivered it.
		return c.fail(smtpreply.EndOfData, err, false)
	}
	text, err := p.reply(250)
	if err != nil {
		var smtpErr *smtp.SMTPError
		return c.fail(smtpreply.EndOfData, err, !errors.As(err, &smtpErr))
	}
	c.sent++
	return Result{Stage: smtpreply.EndOfData, Reply: "250 " + text}
}

// quit ends a pipelined session politely.
func (p *pipelined) quit(timeout time.Duration) {
	_ = p.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := p.conn.Write([]byte("QUIT\r\n")); err == nil {
		_, _ = p.reply(221)
	}
}

// reply reads one reply. A reply with another code than expect is returned
// as a *smtp.SMTPError with the enhanced status code split off, as go-smtp
// does. A one- or two-digit expect matches by prefix, as in net/textproto.
// A broken connection's error is returned unchanged.
func (p *pipelined) reply(expect int) (string, error) {
	code, msg, err := p.r.ReadResponse(expect)
	var protoErr *textproto.Error
	if errors.As(err, &protoErr) {
		return "", replyError(code, protoErr.Msg)
	}
	return msg, err
}

func replyError(code int, msg string) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: code, Message: msg}
	first, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return e
	}
	var ec smtp.EnhancedCode
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return e
	}
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return e
		}
		ec[i] = n
	}
	if ec[0] != 2 && ec[0] != 4 && ec[0] != 5 {
		return e
	}
	e.EnhancedCode = ec
	e.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return e
}

// isBroken reports whether err is a failure of the connection rather than
// a reply.
func isBroken(err error) bool {
	var smtpErr *smtp.SMTPError
	return err != nil && !errors.As(err, &smtpErr)
}

func firstStage(mailErr, rcptErr, _ error) smtpreply.Stage {
	switch {
	case mailErr != nil:
		return smtpreply.Mail
	case rcptErr != nil:
		return smtpreply.Rcpt
	}
	return smtpreply.Data
}

// appendStuffed appends msg to dst as DATA content (RFC 5321 4.5.2), as
// net/textproto's dot writer would: a leading "." of any line is doubled,
// a bare LF becomes CRLF, and the content ends with CRLF so that the final
// dot is on a line of its own.
func appendStuffed(dst, msg []byte) []byte {
	if len(msg) == 0 {
		return append(dst, "\r\n"...)
	}
	for len(msg) > 0 {
		if msg[0] == '.' {
			dst = append(dst, '.')
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			return append(append(dst, msg...), "\r\n"...)
		}
		if i > 0 && msg[i-1] == '\r' {
			dst = append(dst, msg[:i+1]...)
		} else {
			dst = append(append(dst, msg[:i]...), "\r\n"...)
		}
		msg = msg[i+1:]
	}
	return dst
}
