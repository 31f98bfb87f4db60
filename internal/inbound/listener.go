package inbound

import (
	"net"
	"sync"
	"time"
)

// limitListener caps the connections open at once and the life of each.
// A connection past the cap gets a 421 reply and is closed at once, instead
// of waiting in the accept queue. A connection open longer than lifetime is
// closed whatever it does, so idle or slow clients cannot keep senders out.
type limitListener struct {
	net.Listener
	slots    chan struct{}
	lifetime time.Duration
	hostname string
}

func newLimitListener(l net.Listener, max int, lifetime time.Duration, hostname string) *limitListener {
	return &limitListener{Listener: l, slots: make(chan struct{}, max), lifetime: lifetime, hostname: hostname}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			sc := &slotConn{Conn: c, release: func() { <-l.slots }}
			sc.timer = time.AfterFunc(l.lifetime, func() { _ = sc.Close() })
			return sc, nil
		default:
			go l.turnAway(c)
		}
	}
}

// turnAway replies 421 to a connection past the cap and closes it. RFC 5321
// section 3.1 lets a server send 421 in place of its greeting.
func (l *limitListener) turnAway(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("421 4.7.0 " + l.hostname + " too many connections, try again later\r\n"))
	_ = c.Close()
}

// slotConn gives its slot back when closed, once.
type slotConn struct {
	net.Conn
	once    sync.Once
	timer   *time.Timer
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.timer.Stop()
		c.release()
	})
	return err
}
