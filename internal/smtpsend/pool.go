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
	// MaxConnections caps the open connections of this pool.
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
}

func (c Config) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Pool holds open connections to one server, at most MaxConnections.
type Pool struct {
	cfg  Config
	sem  chan struct{}
	mu   sync.Mutex
	idle []*Conn
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
	return &Pool{cfg: cfg, sem: make(chan struct{}, cfg.MaxConnections)}
}

// Config returns the pool's configuration.
func (p *Pool) Config() Config { return p.cfg }

// Get returns an idle connection or dials a new one, waiting while
// MaxConnections are in use.
func (p *Pool) Get(ctx context.Context) (*Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := p.dial(ctx)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// Put returns a connection to the pool. A broken or worn-out connection is
// closed instead.
func (p *Pool) Put(c *Conn) {
	defer func() { <-p.sem }()
	if c.broken || c.sent >= p.cfg.MaxMessagesPerConn {
		c.close()
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// Close closes every idle connection.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
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
		c.pipe = newPipelined(conn)
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
