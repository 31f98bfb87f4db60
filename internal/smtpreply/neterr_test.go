package smtpreply

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"syscall"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestClassifyErrorConnection covers case E05: whether a broken connection
// may have delivered the message depends on the final ".".
func TestClassifyErrorConnection(t *testing.T) {
	readReset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	readTimeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	writePipe := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	certErr := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}

	tests := []struct {
		name          string
		stage         Stage
		err           error
		afterFinalDot bool
		want          Class
	}{
		{"E05 EOF after the dot", EndOfData, io.EOF, true, Uncertain},
		{"E05 read timeout after the dot", EndOfData, readTimeout, true, Uncertain},
		{"E05 reset while reading the reply", EndOfData, readReset, true, Uncertain},
		{"context deadline after the dot", EndOfData, context.DeadlineExceeded, true, Uncertain},
		{"unknown local error after the " +
			"dot", EndOfData, errors.New("smtp: something odd"), true, Uncertain},
		{"write failed: the dot never " +
			"left", EndOfData, fmt.Errorf("close data: %w", writePipe), true, ConnectionLost},
		{"E05 reset while writing the body", Data, writePipe, false, ConnectionLost},
		{"EOF before the dot", Data, io.ErrUnexpectedEOF, false, ConnectionLost},
		{"timeout at RCPT", Rcpt, readTimeout, false, ConnectionLost},
		{"refused at connect", Connect, dialRefused, false, ConnectionLost},
		{"DNS failure at connect", Connect, &net.DNSError{Err: "no such host", Name: "smtp.example.org"}, false, ConnectionLost},
		{"garbled reply", Mail, textproto.ProtocolError("short response: 2"), false, ConnectionLost},
		{"not a TLS server", Hello, tls.RecordHeaderError{Msg: "first record does not look " +
			"like a TLS handshake"}, false, ConnectionLost},
		{"cancelled", Rcpt, context.Canceled, false, ConnectionLost},
		{"closed connection", Mail, net.ErrClosed, false, ConnectionLost},
		{"untrusted certificate", Hello, certErr, false, Failed},
		{"bad input line", Rcpt, errors.New("smtp: a line must not contain CR or " +
			"LF"), false, Failed},
		{"nil after the dot", EndOfData, nil, true, Delivered},
		{"reply after the dot is classified", EndOfData,
			&smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "mailbox full"}, true, MailboxFull},
		{"reply before the dot is classified", Rcpt,
			&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, false, Hard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyError(tc.stage, tc.err, tc.afterFinalDot); got != tc.want {
				t.Errorf("ClassifyError(%v, %v, %v) = %v, want "+
					"%v", tc.stage, tc.err, tc.afterFinalDot, got, tc.want)
			}
		})
	}
}
