package smtpsend

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/smtpreply"
)

// ErrNotClaimed is returned when the claim hook refused the message: the
// connection is dropped before the final dot, so nothing is delivered.
var ErrNotClaimed = errors.New("smtpsend: message not claimed, dropped before the final dot")

// errBroken is returned for a send on a connection that an earlier failure
// left unusable; the message is retried on a new connection.
var errBroken = fmt.Errorf("smtpsend: the connection was dropped after an earlier failure: %w", net.ErrClosed)

// Broken reports whether the connection must not carry another message:
// give it back to the pool, which closes it.
func (c *Conn) Broken() bool { return c.broken }

// Result is the outcome of one message.
type Result struct {
	Stage smtpreply.Stage
	// Reply is the server's final reply text ("250 2.0.0 Ok: queued as X").
	Reply string
	// Err is nil when the server accepted the message.
	Err error
	// AfterDot is true when the connection failed after the final dot was
	// written: the server may have accepted the message (RFC 1047).
	AfterDot bool
}

// Conn is one SMTP session. It is not safe for concurrent use.
type Conn struct {
	client  *smtp.Client
	tracked *trackedConn
	// pipe runs transactions when the server offers PIPELINING.
	pipe              *pipelined
	commandTimeout    time.Duration
	submissionTimeout time.Duration
	sent              int
	broken            bool
	dirty             bool
	idleSince         time.Time // when it was last put back in the pool
}

// Send runs one transaction: MAIL FROM, RCPT TO, DATA with msg. beforeDot
// runs before the final dot: after the server opened DATA when the server
// offers PIPELINING, after the body is written otherwise. If it returns an
// error the connection is dropped so the message is never completed.
func (c *Conn) Send(from, to string, msg []byte, beforeDot func() error) Result {
	if c.broken {
		// A caller must give a broken connection back, never send on it.
		return Result{Stage: smtpreply.Mail, Err: errBroken}
	}
	if c.pipe != nil && canPipeline(from, to) {
		return c.sendPipelined(from, to, msg, beforeDot)
	}
	if c.dirty {
		if err := c.client.Reset(); err != nil {
			return c.fail(smtpreply.Mail, err, false)
		}
		c.dirty = false
	}
	if err := c.client.Mail(from, nil); err != nil {
		return c.fail(smtpreply.Mail, err, false)
	}
	if err := c.client.Rcpt(to, nil); err != nil {
		return c.fail(smtpreply.Rcpt, err, false)
	}
	w, err := c.client.Data()
	if err != nil {
		return c.fail(smtpreply.Data, err, false)
	}
	if _, err := w.Write(msg); err != nil {
		return c.fail(smtpreply.Data, err, false)
	}
	if peerClosed(c.tracked.Conn) {
		// The body may sit in go-smtp's buffer, unsent: the server that
		// closed after 354 never got the final dot.
		c.broken = true
		return c.fail(smtpreply.Data, errClosedAfter354, false)
	}
	if err := beforeDot(); err != nil {
		c.broken = true
		return Result{Stage: smtpreply.Data, Err: fmt.Errorf("%w: %w", ErrNotClaimed, err)}
	}
	c.tracked.writeFailed = false
	resp, err := w.CloseWithResponse()
	if err != nil {
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			return c.fail(smtpreply.EndOfData, err, false)
		}
		// A failed write means the final dot never left; a failed read
		// means it did and the reply was lost.
		return c.fail(smtpreply.EndOfData, err, !c.tracked.writeFailed)
	}
	c.sent++
	return Result{Stage: smtpreply.EndOfData, Reply: "250 " + resp.StatusText}
}

func (c *Conn) fail(stage smtpreply.Stage, err error, afterDot bool) Result {
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		// The session is still usable after a reply; reset it before reuse.
		c.dirty = true
		if smtpErr.Code == 421 {
			c.broken = true
		}
	} else {
		c.broken = true
	}
	return Result{Stage: stage, Err: err, AfterDot: afterDot}
}

func (c *Conn) close() {
	if !c.broken && c.pipe != nil {
		c.pipe.quit(c.commandTimeout)
	} else if !c.broken {
		_ = c.client.Quit()
	}
	_ = c.client.Close()
}
