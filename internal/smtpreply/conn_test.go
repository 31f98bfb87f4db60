package smtpreply

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestGoSMTPLostConnection is case E05. A connection that dies after the
// final "." may have delivered the message, and the server here did store
// it. A connection that dies before the final "." has not.
func TestGoSMTPLostConnection(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	sc := &script{}
	sc.data = map[string]func(*smtp.Conn) error{
		// Stores the message, then closes the connection without a reply.
		"wendy@example.com": func(c *smtp.Conn) error {
			sc.store([]string{"wendy@example.com"})
			c.Close()
			return nil
		},
		// Stores the message, then sends no reply until the client times out.
		"slow@example.com": func(c *smtp.Conn) error {
			sc.store([]string{"slow@example.com"})
			<-release
			return nil
		},
		// Drops the connection after 354, before the body arrives.
		"reset@example.com": func(c *smtp.Conn) error {
			c.Close()
			return nil
		},
	}
	addr := startServer(t, sc)

	if got := sendOne(t, addr, sender, "wendy@example.com", message); got != Uncertain {
		t.Errorf("closed after the dot: %v, want uncertain", got)
	}
	if got := sendOne(t, addr, sender, "slow@example.com", message); got != Uncertain {
		t.Errorf("timed out after the dot: %v, want uncertain", got)
	}
	if sc.count("wendy@example.com") != 1 || sc.count("slow@example.com") != 1 {
		t.Errorf("stored %v: the server accepted both messages", sc.received)
	}

	// A body larger than the socket buffers makes the client notice the
	// reset while writing it, before the final dot.
	big := bytes.Repeat([]byte(strings.Repeat("x", 76)+"\r\n"), 100_000)
	if got := sendOne(t, addr, sender, "reset@example.com", big); got != ConnectionLost {
		t.Errorf("reset before the dot: %v, want connection_lost", got)
	}
}

// TestGoSMTPGreeting is a 421 banner: the session is refused to the sender.
func TestGoSMTPGreeting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(conn, "421 4.7.0 mx.example.com Too many connections from your IP\r\n")
			conn.Close()
		}
	}()
	if got := sendOne(t, l.Addr().String(), sender, "x@example.com", message); got != Throttled {
		t.Errorf("421 banner: %v, want throttled", got)
	}
}
