package smtpsend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/pacer-email/pacer/internal/smtpreply"
)

// stuffedByTextproto is the reference: what go-smtp's DATA writer, which is
// net/textproto's dot writer, sends for msg before the final dot.
func stuffedByTextproto(msg []byte) []byte {
	var out bytes.Buffer
	w := textproto.NewWriter(bufio.NewWriter(&out))
	dw := w.DotWriter()
	_, _ = dw.Write(msg)
	_ = dw.Close()
	return bytes.TrimSuffix(out.Bytes(), []byte(".\r\n"))
}

var stuffingCases = []string{
	"", "a", ".", "..", ".\r\n", "a\r\n.\r\nb", "a\n.b\n..c", "line\r\n", "line", "\n", "\r\n",
	"a\r\n.\r\n.\r\n", "x\rb\n.y", "Subject: x\r\n\r\n.hidden\r\n=2E\r\n", "\r\n.\r\n",
	strings.Repeat("abc.\r\n.", 100),
}

func TestAppendStuffedMatchesTextproto(t *testing.T) {
	for _, c := range stuffingCases {
		got, want := appendStuffed(nil, []byte(c)), stuffedByTextproto([]byte(c))
		if !bytes.Equal(got, want) {
			t.Errorf("appendStuffed(%q) = %q, want %q", c, got, want)
		}
	}
}

func FuzzAppendStuffed(f *testing.F) {
	for _, c := range stuffingCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		// The dot writer and appendStuffed treat a CR that is not followed
		// by LF differently. Campaign messages never hold one (the message
		// package writes CRLF only), so such inputs are left out.
		if bytes.Count(msg, []byte("\r")) != bytes.Count(msg, []byte("\r\n")) {
			return
		}
		got, want := appendStuffed(nil, msg), stuffedByTextproto(msg)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendStuffed(%q) = %q, want %q", msg, got, want)
		}
	})
}

func TestReplyErrorSplitsEnhancedCode(t *testing.T) {
	cases := []struct {
		code int
		msg  string
		want smtp.EnhancedCode
		text string
	}{
		{550, "5.1.1 No such user", smtp.EnhancedCode{5, 1, 1}, "No such user"},
		{451, "4.7.1 Try later\n4.7.1 really", smtp.EnhancedCode{4, 7, 1}, "Try later\nreally"},
		{554, "Transaction failed", smtp.EnhancedCode{}, "Transaction failed"},
		{550, "9.1.1 odd class", smtp.EnhancedCode{}, "9.1.1 odd class"},
		{550, "5.x.1 not a code", smtp.EnhancedCode{}, "5.x.1 not a code"},
	}
	for _, c := range cases {
		e := replyError(c.code, c.msg)
		if e.Code != c.code || e.EnhancedCode != c.want || e.Message != c.text {
			t.Errorf("replyError(%d, %q) = %d %v %q, want %d %v %q", c.code, c.msg,
				e.Code, e.EnhancedCode, e.Message, c.code, c.want, c.text)
		}
	}
}

// rawServer is a line-based SMTP server on 127.0.0.1 whose replies a test
// scripts. The answer function receives each command line (or "<data>" with the message once
// the final dot arrived) and returns the reply lines to write, or "" to
// write nothing, or "close" to drop the connection.
type rawServer struct {
	addr     string
	mu       sync.Mutex
	commands []string
}

func newRawServer(t *testing.T, ehlo string, answer func(cmd string) string) *rawServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &rawServer{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go s.serve(c, ehlo, answer)
		}
	}()
	return s
}

func (s *rawServer) serve(c net.Conn, ehlo string, answer func(string) string) {
	defer c.Close()
	r := textproto.NewReader(bufio.NewReader(c))
	_, _ = c.Write([]byte("220 test ESMTP\r\n"))
	inData := false
	var data []string
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		var reply string
		switch {
		case inData && line == ".":
			inData = false
			reply = answer("<data>" + strings.Join(data, "\n"))
			data = nil
		case inData:
			data = append(data, line)
			continue
		case strings.HasPrefix(line, "EHLO"):
			reply = "250-test\r\n" + ehlo + "250 8BITMIME"
		default:
			s.mu.Lock()
			s.commands = append(s.commands, line)
			s.mu.Unlock()
			reply = answer(line)
			if line == "DATA" && strings.HasPrefix(reply, "354") {
				inData = true
			}
		}
		if first, ok := strings.CutSuffix(reply, "\nclose"); ok {
			_, _ = c.Write([]byte(first + "\r\n"))
			return
		}
		switch reply {
		case "":
		case "close":
			return
		default:
			_, _ = c.Write([]byte(reply + "\r\n"))
		}
	}
}

func (s *rawServer) port(t *testing.T) int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// okAnswer accepts every command.
func okAnswer(cmd string) string {
	switch {
	case cmd == "DATA":
		return "354 go on"
	case strings.HasPrefix(cmd, "<data>"):
		return "250 2.0.0 queued"
	case cmd == "QUIT":
		return "221 bye"
	}
	return "250 ok"
}

func dialRaw(t *testing.T, s *rawServer) *Conn {
	t.Helper()
	p := NewPool(Config{Host: "127.0.0.1", Port: s.port(t), MaxConnections: 1,
		CommandTimeout: 2 * time.Second, SubmissionTimeout: 2 * time.Second})
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Put(c); p.Close() })
	return c
}

func noClaim() error { return nil }

func TestPipelinedTransaction(t *testing.T) {
	s := newRawServer(t, "250-PIPELINING\r\n", okAnswer)
	c := dialRaw(t, s)
	if c.pipe == nil {
		t.Fatal("server offers PIPELINING but the session does not use it")
	}
	for _, to := range []string{"a@example.com", "b@example.com"} {
		res := c.Send("bounce@example.org", to, []byte("Subject: x\r\n\r\n.dot line\r\n"), noClaim)
		if res.Err != nil || res.Reply != "250 2.0.0 queued" {
			t.Fatalf("send to %s: %+v", to, res)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := []string{"MAIL FROM:<bounce@example.org>", "RCPT TO:<a@example.com>", "DATA",
		"MAIL FROM:<bounce@example.org>", "RCPT TO:<b@example.com>", "DATA"}
	if strings.Join(s.commands, "|") != strings.Join(want, "|") {
		t.Fatalf("server saw %q, want %q", s.commands, want)
	}
}

func TestPipelinedRejectedRecipientKeepsSession(t *testing.T) {
	var rejected bool // the last RCPT was refused; the server runs one session
	s := newRawServer(t, "250-PIPELINING\r\n", func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "RCPT"):
			rejected = cmd == "RCPT TO:<gone@example.com>"
			if rejected {
				return "550 5.1.1 no such user"
			}
		case cmd == "DATA" && rejected:
			return "503 5.5.1 no valid recipients"
		}
		return okAnswer(cmd)
	})
	c := dialRaw(t, s)
	res := c.Send("b@example.org", "gone@example.com", []byte("x\r\n"), func() error {
		t.Error("the claim ran for a rejected recipient")
		return nil
	})
	var se *smtp.SMTPError
	if res.Stage != smtpreply.Rcpt || !errors.As(res.Err, &se) || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("rejected recipient: stage %v err %v, want RCPT 5.1.1", res.Stage, res.Err)
	}
	if c.broken {
		t.Fatal("a rejected recipient broke the session")
	}
	res = c.Send("b@example.org", "ok@example.com", []byte("x\r\n"), noClaim)
	if res.Err != nil {
		t.Fatalf("next send on the same session: %v", res.Err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !contains(s.commands, "RSET") {
		t.Fatalf("the session was not reset after the rejection: %q", s.commands)
	}
}

func TestPipelinedDataOpenedAfterRejectionDropsSession(t *testing.T) {
	s := newRawServer(t, "250-PIPELINING\r\n", func(cmd string) string {
		if strings.HasPrefix(cmd, "RCPT") {
			return "550 5.1.1 no such user"
		}
		return okAnswer(cmd)
	})
	c := dialRaw(t, s)
	res := c.Send("b@example.org", "gone@example.com", []byte("x\r\n"), func() error {
		t.Error("the claim ran for a rejected recipient")
		return nil
	})
	if res.Stage != smtpreply.Rcpt || res.Err == nil || !c.Broken() {
		t.Fatalf("got stage %v err %v broken %v, want a RCPT failure and a dropped session", res.Stage, res.Err, c.Broken())
	}
	// The session's state is unknown now: another send on it must fail
	// before writing anything, as a connection loss that is retried.
	next := c.Send("b@example.org", "ok@example.com", []byte("x\r\n"), func() error {
		t.Error("a send on a dropped session ran its claim")
		return nil
	})
	if got := smtpreply.ClassifyError(next.Stage, next.Err, next.AfterDot); got != smtpreply.ConnectionLost {
		t.Errorf("send on a dropped session: %v, class %v, want ConnectionLost", next.Err, got)
	}
}

func TestPipelinedLostReplyAfterDotIsAfterDot(t *testing.T) {
	s := newRawServer(t, "250-PIPELINING\r\n", func(cmd string) string {
		if strings.HasPrefix(cmd, "<data>") {
			return "close"
		}
		return okAnswer(cmd)
	})
	c := dialRaw(t, s)
	claimed := false
	res := c.Send("b@example.org", "a@example.com", []byte("x\r\n"), func() error { claimed = true; return nil })
	if !claimed || res.Err == nil || !res.AfterDot || res.Stage != smtpreply.EndOfData {
		t.Fatalf("got claimed %v %+v, want a claimed send with AfterDot", claimed, res)
	}
	if got := smtpreply.ClassifyError(res.Stage, res.Err, res.AfterDot); got != smtpreply.Uncertain {
		t.Fatalf("class %v, want Uncertain", got)
	}
}

func TestCloseAfter354IsRetried(t *testing.T) {
	for _, ehlo := range []string{"250-PIPELINING\r\n", ""} {
		t.Run(map[bool]string{true: "pipelined", false: "one command at a time"}[ehlo != ""], func(t *testing.T) {
			testCloseAfter354(t, ehlo)
		})
	}
}

func testCloseAfter354(t *testing.T, ehlo string) {
	s := newRawServer(t, ehlo, func(cmd string) string {
		if cmd == "DATA" {
			return "354 go on\nclose" // opens DATA, then drops the connection
		}
		return okAnswer(cmd)
	})
	c := dialRaw(t, s)
	claimed := false
	res := c.Send("b@example.org", "a@example.com", []byte("x\r\n"), func() error { claimed = true; return nil })
	if claimed {
		t.Error("the send was claimed although the server had closed the connection")
	}
	if res.AfterDot || res.Err == nil {
		t.Fatalf("got %+v, want a failure before the final dot", res)
	}
	if got := smtpreply.ClassifyError(res.Stage, res.Err, res.AfterDot); got != smtpreply.ConnectionLost {
		t.Errorf("class %v, want ConnectionLost, which is retried", got)
	}
}

func TestPipelinedRefusedClaimNeverSendsDot(t *testing.T) {
	dots := make(chan string, 1)
	s := newRawServer(t, "250-PIPELINING\r\n", func(cmd string) string {
		if strings.HasPrefix(cmd, "<data>") {
			dots <- cmd
		}
		return okAnswer(cmd)
	})
	c := dialRaw(t, s)
	res := c.Send("b@example.org", "a@example.com", []byte("x\r\n"), func() error { return errors.New("taken") })
	if !errors.Is(res.Err, ErrNotClaimed) || !c.broken {
		t.Fatalf("got %+v broken %v, want ErrNotClaimed and a dropped session", res, c.broken)
	}
	select {
	case d := <-dots:
		t.Fatalf("the server got a complete message: %q", d)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestWithoutPipeliningOneCommandPerRoundTrip(t *testing.T) {
	s := newRawServer(t, "", okAnswer)
	c := dialRaw(t, s)
	if c.pipe != nil {
		t.Fatal("the session pipelines although the server does not offer PIPELINING")
	}
	if res := c.Send("b@example.org", "a@example.com", []byte(".x\r\n"), noClaim); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func TestNonASCIIAddressTakesTheClientPath(t *testing.T) {
	if canPipeline("b@example.org", "josé@example.com") || canPipeline("b@example.org\r\nRSET", "a@example.com") {
		t.Fatal("an address with non-ASCII bytes or a line break may not be written by the pipelined path")
	}
	if !canPipeline("bounce+x.y@example.org", "a@example.com") {
		t.Fatal("a plain address must take the pipelined path")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
