package smtpreply

import (
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The tests in this file run the real go-smtp client against an in-process
// go-smtp server whose session replies as a script sets out. They show that
// the errors the client returns at each stage get the class the table gives.

// script sets the replies of the test server. Keys are addresses.
type script struct {
	mail map[string]*smtp.SMTPError // reply to MAIL FROM, by sender
	rcpt map[string]*smtp.SMTPError // reply to RCPT TO, by recipient
	// data decides the reply to the final "." from the first recipient. It
	// gets the connection so that it can drop it instead of replying.
	data map[string]func(c *smtp.Conn) error

	mu       sync.Mutex
	received map[string]int // stored messages by recipient
}

type session struct {
	sc    *script
	conn  *smtp.Conn
	rcpts []string
}

func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if err, ok := s.sc.mail[from]; ok {
		return err
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err, ok := s.sc.rcpt[to]; ok {
		return err
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if fn, ok := s.sc.data[s.rcpts[0]]; ok {
		return fn(s.conn)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.sc.store(s.rcpts)
	return nil
}

func (sc *script) store(rcpts []string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, r := range rcpts {
		sc.received[r]++
	}
}

func (sc *script) count(rcpt string) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.received[rcpt]
}

// startServer serves sc on 127.0.0.1 and returns the address.
func startServer(t *testing.T, sc *script) string {
	t.Helper()
	sc.received = map[string]int{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{sc: sc, conn: c}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "mx.example.com"
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String()
}

// sendOne sends one message the way the send activity does and classifies
// the outcome, naming the stage of whatever went wrong.
func sendOne(t *testing.T, addr, from, to string, body []byte) Class {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return ClassifyError(Connect, err, false)
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = 2 * time.Second
	c.SubmissionTimeout = 300 * time.Millisecond
	defer c.Close()

	if err := c.Hello("pacer.example.org"); err != nil {
		return ClassifyError(Hello, err, false)
	}
	if err := c.Mail(from, nil); err != nil {
		return ClassifyError(Mail, err, false)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return ClassifyError(Rcpt, err, false)
	}
	w, err := c.Data()
	if err != nil {
		return ClassifyError(Data, err, false)
	}
	if _, err := w.Write(body); err != nil {
		return ClassifyError(Data, err, false)
	}
	return ClassifyError(EndOfData, w.Close(), true)
}

const sender = "bounces@news.example.org"

var message = []byte("From: news@example.org\r\nSubject: Monthly update\r\n\r\nHello\r\n")

func TestGoSMTPStages(t *testing.T) {
	gmailSpam := &smtp.SMTPError{
		Code: 550,
		// With NoEnhancedCode the server sends Message as it is, so every
		// line carries "5.7.1" as Gmail's do.
		EnhancedCode: smtp.NoEnhancedCode,
		Message: "5.7.1 [192.0.2.10 12] Our system has detected that this message is\n" +
			"5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n" +
			"5.7.1 this message has been blocked.\n" +
			"5.7.1 for more information. w28si1688632wra.157 - gsmtp",
	}
	// go-smtp's own server puts the enhanced code on the last line only.
	lastLineOnly := &smtp.SMTPError{
		Code:         550,
		EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "The email account that you tried to reach does not exist. Please try\n" +
			"double-checking the recipient's email address for typos.",
	}
	sc := &script{
		mail: map[string]*smtp.SMTPError{
			"yahoo-deferred@news.example.org": {Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
				Message: "[TSS04] Messages from 192.0.2.192 temporarily deferred due to " +
					"unexpected volume"},
		},
		rcpt: map[string]*smtp.SMTPError{
			"olivia@example.com": lastLineOnly,
			"rita@example.com": {Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2},
				Message: "The email account that you tried to reach is over quota."},
			"frank@example.net": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 351},
				Message: "Remote server returned unknown recipient"},
			"grey@example.com": {Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
				Message: "Greylisting in action, please come back later"},
		},
		data: map[string]func(*smtp.Conn) error{
			"gmail@example.com": func(*smtp.Conn) error { return gmailSpam },
			"sam@example.net": func(*smtp.Conn) error {
				return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2},
					Message: "<sam@example.net> Quota exceeded (mailbox for user is full)"}
			},
			"ses-rate@example.com": func(*smtp.Conn) error {
				return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.NoEnhancedCode,
					Message: "Throttling failure: Maximum sending rate exceeded."}
			},
			"ses-quota@example.com": func(*smtp.Conn) error {
				return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.NoEnhancedCode,
					Message: "Throttling failure: Daily message quota exceeded."}
			},
		},
	}
	addr := startServer(t, sc)

	tests := []struct {
		name, from, to string
		want           Class
	}{
		{"B05 accepted", sender, "peter@example.com", Delivered},
		{"B01 421 4.7.0 at MAIL FROM", "yahoo-deferred@news.example.org", "nina@yahoo.example", Throttled},
		{"B05 550 5.1.1 at RCPT, code on the last line", sender, "olivia@example.com", Hard},
		{"A05 5.1.351 at RCPT", sender, "frank@example.net", Hard},
		{"B04 452 4.2.2 at RCPT", sender, "rita@example.com", Retry},
		{"greylisting at RCPT", sender, "grey@example.com", Retry},
		{"B02 multi-line 550-5.7.1 at end of data", sender, "gmail@example.com", Blocked},
		{"B04 552 5.2.2 at end of data", sender, "sam@example.net", MailboxFull},
		{"E04 454 rate at end of data", sender, "ses-rate@example.com", Throttled},
		{"E04 454 daily quota at end of data", sender, "ses-quota@example.com", QuotaExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sendOne(t, addr, tc.from, tc.to, message); got != tc.want {
				t.Errorf("sending to %s: got %v, want %v", tc.to, got, tc.want)
			}
		})
	}
	if n := sc.count("peter@example.com"); n != 1 {
		t.Errorf("server stored %d copies for peter, want 1", n)
	}
}

// TestGoSMTPMultiLineReply checks the parsed reply itself, not just its
// class: code, enhanced code and full text of a Gmail-style reply.
func TestGoSMTPMultiLineReply(t *testing.T) {
	sc := &script{rcpt: map[string]*smtp.SMTPError{
		"olivia@example.com": {Code: 550, EnhancedCode: smtp.NoEnhancedCode,
			Message: "5.1.1 The email account that you tried to reach does not exist. Please " +
				"try\n" +
				"5.1.1 double-checking the recipient's email address for typos or\n" +
				"5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser - gsmtp"},
	}}
	addr := startServer(t, sc)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(sender, nil); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt("olivia@example.com", nil)
	r, ok := FromError(err)
	if !ok {
		t.Fatalf("Rcpt error %v carries no reply", err)
	}
	if r.Code != 550 || r.Enhanced != "5.1.1" {
		t.Errorf("reply = %d %s, want 550 5.1.1", r.Code, r.Enhanced)
	}
	if strings.Count(r.Text, "\n") != 2 || strings.Contains(r.Text, "5.1.1") ||
		!strings.HasSuffix(r.Text, "NoSuchUser - gsmtp") {
		t.Errorf("text = %q, want three lines without the code", r.Text)
	}
}

// TestGoSMTPSessionRecipients is case B05 in one session: a recipient
// rejected at RCPT TO does not stop the others.
func TestGoSMTPSessionRecipients(t *testing.T) {
	sc := &script{rcpt: map[string]*smtp.SMTPError{
		"olivia@example.com": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
	}}
	addr := startServer(t, sc)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(sender, nil); err != nil {
		t.Fatal(err)
	}
	if got := ClassifyError(Rcpt, c.Rcpt("olivia@example.com", nil), false); got != Hard {
		t.Errorf("olivia: %v, want hard", got)
	}
	if err := c.Rcpt("peter@example.com", nil); err != nil {
		t.Fatalf("peter: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(message)
	if got := ClassifyError(EndOfData, w.Close(), true); got != Delivered {
		t.Errorf("peter: %v, want delivered", got)
	}
	if sc.count("peter@example.com") != 1 || sc.count("olivia@example.com") != 0 {
		t.Errorf("stored %v, want one copy for peter only", sc.received)
	}
}
