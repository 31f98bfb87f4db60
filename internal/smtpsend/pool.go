// Package smtpsend sends messages over pooled go-smtp client connections to
// one sending server and tells apart, for every failure, whether the final
// dot of DATA may have reached the server.
package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Config is how to reach and log in to one sending server.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "none", "starttls" or "tls" (implicit TLS).
	TLS      string
	HeloName string
	// MaxConnections is the initial cap on the open connections of this
	// pool (default 8); Pool.SetLimit changes it.
	MaxConnections int
	// CommandTimeout bounds each SMTP command; SubmissionTimeout bounds the
	// wait for the reply to the final dot. Both default to 30 s, well below
	// the activity timeouts, so a stuck server fails the message, not the
	// worker.
	CommandTimeout    time.Duration
	SubmissionTimeout time.Duration
	// MaxMessagesPerConn closes a connection after that many messages
	// (default 1000), as many providers limit it.
	MaxMessagesPerConn int
	// InsecureSkipVerify disables TLS certificate checks, for test servers.
	InsecureSkipVerify bool
	// NoPipelining sends one command per round trip even to a server that
	// offers PIPELINING (RFC 2920), for servers that offer it but break.
	NoPipelining bool
	// IdleTimeout closes a connection that stayed idle in the pool this
	// long (default 30 s), so a finished or paused campaign does not keep
	// sessions open at the server.
	IdleTimeout time.Duration
}

func (c Config) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Pool holds open connections to one server. The limit on open
// connections starts at MaxConnections and SetLimit changes it at run time.
type Pool struct {
	cfg Config

	mu sync.Mutex
	// limit caps inUse plus len(idle), except while connections in use
	// exceed a limit that SetLimit lowered.
	limit int
	// inUse counts connections handed out by Get, dials in progress and
	// connections being closed.
	inUse int
	idle  []*Conn
	// wake is closed and replaced whenever a waiting Get may proceed: a
	// connection came back, a dial failed or the limit grew.
	wake chan struct{}
	// reaper closes connections idle for IdleTimeout; nil while none is
	// scheduled.
	reaper *time.Timer
}

// NewPool returns an empty pool for cfg.
func NewPool(cfg Config) *Pool {
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 8
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 30 * time.Second
	}
	if cfg.SubmissionTimeout <= 0 {
		cfg.SubmissionTimeout = 30 * time.Second
	}
	if cfg.MaxMessagesPerConn <= 0 {
		cfg.MaxMessagesPerConn = 1000
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	return &Pool{cfg: cfg, limit: cfg.MaxConnections, wake: make(chan struct{})}
}

// Config returns the pool's configuration. Its MaxConnections is the
// initial limit; Limit returns the current one.
func (p *Pool) Config() Config { return p.cfg }

// Limit returns the current cap on open connections.
func (p *Pool) Limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// Over reports whether more connections are in use than the limit allows,
// after the limit was lowered; a user should then give one back.
func (p *Pool) Over() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse > p.limit
}

// SetLimit changes the cap on open connections. A higher limit wakes
// waiting Get calls at once. A lower limit closes idle connections above
// it, while connections in use stay open until Put closes them, so the
// pool can exceed a lowered limit until they come back.
func (p *Pool) SetLimit(n int) error {
	if n < 1 {
		return fmt.Errorf("smtpsend: connection limit %d is invalid: use 1 or more", n)
	}
	p.mu.Lock()
	grew := n > p.limit
	p.limit = n
	var excess []*Conn
	if over := p.inUse + len(p.idle) - n; over > 0 {
		k := min(over, len(p.idle))
		excess = append(excess, p.idle[:k]...)
		p.idle = append(p.idle[:0], p.idle[k:]...)
		// A connection counts as in use until its QUIT is done, so no Get
		// dials a replacement while the server still has it open.
		p.inUse += k
	}
	if grew {
		p.wakeLocked()
	}
	p.mu.Unlock()
	for _, c := range excess {
		c.close()
		p.release()
	}
	return nil
}

// wakeLocked wakes every waiting Get; p.mu must be held.
func (p *Pool) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// Get returns an idle connection or dials a new one. While the limit's
// worth of connections is in use, it waits until one comes back, the limit
// grows or ctx ends.
func (p *Pool) Get(ctx context.Context) (*Conn, error) {
	p.mu.Lock()
	for p.inUse >= p.limit {
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		p.mu.Lock()
	}
	p.inUse++
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err != nil {
		p.release()
		return nil, err
	}
	return c, nil
}

// release frees the slot of a connection that was closed or never opened.
func (p *Pool) release() {
	p.mu.Lock()
	p.inUse--
	p.wakeLocked()
	p.mu.Unlock()
}

// Put returns a connection to the pool. A broken or worn-out connection is
// closed instead, and so is a healthy one while keeping it idle would leave
// more connections open than the limit allows.
func (p *Pool) Put(c *Conn) {
	if c.broken || c.sent >= p.cfg.MaxMessagesPerConn {
		c.close()
		p.release()
		return
	}
	p.mu.Lock()
	if p.inUse+len(p.idle) > p.limit {
		p.mu.Unlock()
		c.close()
		p.release()
		return
	}
	p.inUse--
	c.idleSince = time.Now()
	p.idle = append(p.idle, c)
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.cfg.IdleTimeout, p.closeIdle)
	}
	p.wakeLocked()
	p.mu.Unlock()
}

// closeIdle closes the connections idle for IdleTimeout or longer, and
// runs again when the next one will be.
func (p *Pool) closeIdle() {
	p.mu.Lock()
	var stale []*Conn
	keep := p.idle[:0]
	var oldest time.Time
	for _, c := range p.idle {
		if time.Since(c.idleSince) >= p.cfg.IdleTimeout {
			stale = append(stale, c)
			continue
		}
		if oldest.IsZero() || c.idleSince.Before(oldest) {
			oldest = c.idleSince
		}
		keep = append(keep, c)
	}
	p.idle = keep
	p.reaper = nil
	if len(keep) > 0 {
		p.reaper = time.AfterFunc(time.Until(oldest.Add(p.cfg.IdleTimeout)), p.closeIdle)
	}
	p.inUse += len(stale) // counted as in use until their QUIT is done
	p.mu.Unlock()
	for _, c := range stale {
		c.close()
		p.release()
	}
}

// Close closes every idle connection.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
	p.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// ErrConnect wraps failures to open a session with the server: dial, TLS,
// greeting, EHLO or AUTH.
var ErrConnect = errors.New("smtpsend: cannot open a session")

func (p *Pool) dial(ctx context.Context) (*Conn, error) {
	d := net.Dialer{Timeout: p.cfg.CommandTimeout}
	raw, err := d.DialContext(ctx, "tcp", p.cfg.addr())
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrConnect, p.cfg.addr(), err)
	}
	tc := &trackedConn{Conn: raw}
	var conn net.Conn = tc
	tlsCfg := &tls.Config{ServerName: p.cfg.Host, InsecureSkipVerify: p.cfg.InsecureSkipVerify} //nolint:gosec
	if p.cfg.TLS == "tls" {
		conn = tls.Client(tc, tlsCfg)
	}
	var client *smtp.Client
	if p.cfg.TLS == "starttls" {
		client, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w %s: starttls: %w", ErrConnect, p.cfg.addr(), err)
		}
	} else {
		client = smtp.NewClient(conn)
	}
	client.CommandTimeout = p.cfg.CommandTimeout
	client.SubmissionTimeout = p.cfg.SubmissionTimeout
	if err := client.Hello(p.cfg.HeloName); err != nil {
		client.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrConnect, p.cfg.addr(), err)
	}
	if p.cfg.Username != "" {
		auth := sasl.NewPlainClient("", p.cfg.Username, p.cfg.Password)
		if err := client.Auth(auth); err != nil {
			client.Close()
			return nil, fmt.Errorf("%w %s: login as %q: %w", ErrConnect, p.cfg.addr(), p.cfg.Username, err)
		}
	}
	c := &Conn{client: client, tracked: tc, commandTimeout: p.cfg.CommandTimeout,
		submissionTimeout: p.cfg.SubmissionTimeout}
	if ok, _ := client.Extension("PIPELINING"); ok && !p.cfg.NoPipelining {
		c.pipe = newPipelined(conn, raw)
	}
	return c, nil
}

// trackedConn remembers whether a write failed, which tells a failure before
// the final dot from one after it.
type trackedConn struct {
	net.Conn
	writeFailed bool
}

func (t *trackedConn) Write(b []byte) (int, error) {
	n, err := t.Conn.Write(b)
	if err != nil {
		t.writeFailed = true
	}
	return n, err
}
