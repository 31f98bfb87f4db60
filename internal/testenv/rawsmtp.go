package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/textproto"
	"time"
)

// SendRaw delivers data to the SMTP server at addr from one sender to one
// recipient. Unlike an SMTP client library it keeps bare LF line endings:
// see dotStuff for the only changes it makes.
// It returns the reply to the end of data, or the first failing reply.
func SendRaw(addr, from, rcpt string, data []byte) (code int, msg string, err error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(conn)
	if code, msg, err = tp.ReadResponse(220); err != nil {
		return code, msg, err
	}
	steps := []struct {
		cmd  string
		want int
	}{{"EHLO test.example", 250}, {"MAIL FROM:<" + from + ">", 250}, {"RCPT TO:<" + rcpt + ">", 250}, {"DATA", 354}}
	for _, s := range steps {
		if code, msg, err = cmd(tp, s.cmd, s.want); err != nil {
			return code, msg, err
		}
	}
	if _, err := conn.Write(dotStuff(data)); err != nil {
		return 0, "", err
	}
	code, msg, err = tp.ReadResponse(250)
	_, _, _ = cmd(tp, "QUIT", 221)
	return code, msg, err
}

func cmd(tp *textproto.Conn, line string, want int) (int, string, error) {
	id, err := tp.Cmd("%s", line)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	code, msg, err := tp.ReadResponse(want)
	if err != nil {
		return code, msg, fmt.Errorf("%s: %w", line, err)
	}
	return code, msg, nil
}

// dotStuff prepares data for DATA the way an SMTP server reads it back
// (RFC 5321 section 4.5.2): a dot that starts a line after CRLF is doubled,
// and the data ends with CRLF "." CRLF. A line after a bare LF does not
// start a line for the server, so it is left alone. A final bare LF
// becomes CRLF.
func dotStuff(data []byte) []byte {
	var b bytes.Buffer
	atLineStart := true
	for i, c := range data {
		if atLineStart && c == '.' {
			b.WriteByte('.')
		}
		b.WriteByte(c)
		atLineStart = c == '\n' && i > 0 && data[i-1] == '\r'
	}
	switch {
	case atLineStart:
	case bytes.HasSuffix(data, []byte("\n")):
		b.Truncate(b.Len() - 1)
		b.WriteString("\r\n")
	default:
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}
