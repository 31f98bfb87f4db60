package smtpreply

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/textproto"
	"os"
	"syscall"
)

// ClassifyError returns the class of err, the error that ended the step at
// stage, including errors that carry no reply at all.
//
// An error that carries a reply is classified by [Classify]. Otherwise the
// connection broke or timed out, and what matters is whether the server can
// have accepted the message:
//
//   - Before the final "." was sent it cannot: the result is ConnectionLost,
//     safe to retry and not a bounce.
//   - After it, the server may have queued the message and only the reply
//     was lost (RFC 1047): the result is Uncertain, and the message must not
//     be sent again within the campaign.
//
// afterFinalDot must be true for any error from closing the DATA writer
// (go-smtp's DataCommand.Close), which both sends the final "." and reads
// the reply. One case is narrowed back to ConnectionLost: a failed write.
// Writes go out in order and the "." is the last thing written, so when the
// write failed the server never received the end of the message.
//
// A nil err yields Delivered: pass nil only for the reply to the final ".".
// A local error that is neither a reply nor a connection failure (an
// untrusted certificate, a line with CR or LF in it) is Failed before the
// final "." and Uncertain after it.
func ClassifyError(stage Stage, err error, afterFinalDot bool) Class {
	if err == nil {
		return Delivered
	}
	if r, ok := FromError(err); ok {
		return Classify(stage, r)
	}
	if afterFinalDot {
		if isWriteError(err) {
			return ConnectionLost
		}
		return Uncertain
	}
	if isConnectionError(err) {
		return ConnectionLost
	}
	return Failed
}

// isConnectionError reports whether err means the connection could not be
// opened, broke, timed out, or carried something that was not SMTP.
func isConnectionError(err error) bool {
	if isCertificateError(err) {
		return false // retrying will meet the same certificate
	}
	for _, target := range connectionErrors {
		if errors.Is(err, target) {
			return true
		}
	}
	var netErr net.Error
	var protoErr textproto.ProtocolError
	var recordErr tls.RecordHeaderError
	return errors.As(err, &netErr) || errors.As(err, &protoErr) || errors.As(err, &recordErr)
}

var connectionErrors = []error{
	io.EOF,
	io.ErrUnexpectedEOF,
	net.ErrClosed,
	os.ErrDeadlineExceeded,
	context.DeadlineExceeded,
	context.Canceled,
	syscall.ECONNRESET,
	syscall.ECONNREFUSED,
	syscall.ECONNABORTED,
	syscall.EPIPE,
	syscall.ETIMEDOUT,
	syscall.EHOSTUNREACH,
	syscall.ENETUNREACH,
}

// isWriteError reports whether err is a failed write to the connection.
func isWriteError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "write" {
		return true
	}
	return errors.Is(err, syscall.EPIPE)
}

func isCertificateError(err error) bool {
	var verifyErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	return errors.As(err, &verifyErr) || errors.As(err, &hostErr) ||
		errors.As(err, &authErr) || errors.As(err, &invalidErr)
}
