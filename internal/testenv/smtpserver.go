package testenv

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message an SMTPServer accepted.
type Received struct {
	From string
	To   string
	Data []byte
	At   time.Time
}

// Script decides the server's reply for one recipient at one step. A nil
// error accepts. Step is "rcpt" or "data".
type Script func(step, rcpt string, n int) error

// SMTPServer is a go-smtp server on 127.0.0.1 that records every message
// and answers each recipient as its Script says.
type SMTPServer struct {
	Addr string
	Port int

	mu       sync.Mutex
	messages []Received
	attempts map[string]int
	script   Script
	// DataDelay delays the reply to the final dot, to make DATA slow.
	DataDelay time.Duration
	// Drop, when set, is asked at every RCPT with the number of messages
	// accepted so far; true closes the connection without a reply, as a
	// TCP reset in the middle of a transaction would.
	Drop func(accepted int) bool
}

// NewSMTPServer starts a server for the test and stops it at cleanup.
func NewSMTPServer(t testing.TB, script Script) *SMTPServer {
	t.Helper()
	s := &SMTPServer{script: script, attempts: map[string]int{}}
	l := ServeSMTP(t, s, nil)
	s.Addr = l.Addr().String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	return s
}

// ServeSMTP serves be with go-smtp on a new 127.0.0.1 listener until the
// test ends and returns the listener. When wrap is not nil the server
// accepts through wrap(listener), for tests that watch connections.
func ServeSMTP(t testing.TB, be smtp.Backend, wrap func(net.Listener) net.Listener) net.Listener {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 10 << 20
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := l
	if wrap != nil {
		served = wrap(l)
	}
	go srv.Serve(served) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
	return l
}

// Messages returns a copy of the accepted messages.
func (s *SMTPServer) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// CountBetween returns how many messages arrived in [from, to).
func (s *SMTPServer) CountBetween(from, to time.Time) int {
	n := 0
	for _, m := range s.Messages() {
		if !m.At.Before(from) && m.At.Before(to) {
			n++
		}
	}
	return n
}

// CountByRecipient returns how many messages each recipient got.
func (s *SMTPServer) CountByRecipient() map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		out[strings.ToLower(m.To)]++
	}
	return out
}

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

type session struct {
	srv  *SMTPServer
	conn *smtp.Conn
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := x.srv
	s.mu.Lock()
	s.attempts[strings.ToLower(to)]++
	n := s.attempts[strings.ToLower(to)]
	script := s.script
	drop := s.Drop != nil && s.Drop(len(s.messages))
	s.mu.Unlock()
	if drop {
		_ = x.conn.Close()
		return errors.New("connection dropped by the test")
	}
	if script != nil {
		if err := script("rcpt", to, n); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	s := x.srv
	if s.DataDelay > 0 {
		time.Sleep(s.DataDelay)
	}
	for _, to := range x.to {
		s.mu.Lock()
		n := s.attempts[strings.ToLower(to)]
		script := s.script
		s.mu.Unlock()
		if script != nil {
			if err := script("data", to, n); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	for _, to := range x.to {
		s.messages = append(s.messages, Received{From: x.from, To: to, Data: buf.Bytes(), At: time.Now()})
	}
	s.mu.Unlock()
	return nil
}

func (x *session) Reset() {
	x.from = ""
	x.to = nil
}

func (x *session) Logout() error { return nil }
