package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/store"
)

// Defaults of Config.
const (
	DefaultMaxMessageBytes = 10 << 20 // 10 MiB, the bounce parser's own limit
	DefaultMaxRecipients   = 10       // a bounce has one; 452 makes a client send the rest later
	DefaultMaxConnections  = 32       // estimate: a 10 MiB message grows a buffer of up to 16 MiB, so 512 MiB at most
	DefaultReadTimeout     = time.Minute
	DefaultWriteTimeout    = time.Minute
	DefaultDataTimeout     = 5 * time.Minute
	DefaultSessionTimeout  = 10 * time.Minute
	DefaultStoreTimeout    = 30 * time.Second
	DefaultStartTimeout    = 10 * time.Second
	// domainsRefresh is how long the result of Config.Domains is reused.
	domainsRefresh = 30 * time.Second
)

// Config configures a Server. Zero fields take the defaults above.
type Config struct {
	// Domain is the bounce domain; only its addresses are accepted, and
	// those of the domains Domains returns.
	Domain string
	// Domains, when set, returns more domains that receive bounces, such as
	// the return_path_domain of each sending domain. The server calls it at
	// most every 30 seconds and keeps the last list when a call fails.
	Domains func(ctx context.Context) ([]string, error)
	// Hostname is the name in the greeting; default Domain.
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	// MaxConnections caps open connections; more get 421 4.7.0 and are
	// closed at once.
	MaxConnections int
	// ReadTimeout bounds the wait for each command and WriteTimeout each
	// reply. DataTimeout bounds the whole DATA transfer, and SessionTimeout
	// a whole connection, so a slow client cannot hold a slot for long.
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	DataTimeout    time.Duration
	SessionTimeout time.Duration
	// StoreTimeout bounds the insert before the 250; StartTimeout the
	// workflow start after it.
	StoreTimeout time.Duration
	StartTimeout time.Duration
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Hostname == "" {
		c.Hostname = c.Domain
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = DefaultMaxRecipients
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.DataTimeout, DefaultDataTimeout)
	def(&c.SessionTimeout, DefaultSessionTimeout)
	def(&c.StoreTimeout, DefaultStoreTimeout)
	def(&c.StartTimeout, DefaultStartTimeout)
	return c
}

// Saver stores a received message durably and returns its id; *store.DB
// implements it.
type Saver interface {
	SaveInbound(ctx context.Context, m store.InboundMessage) (int64, error)
}

var _ Saver = (*store.DB)(nil)

// StartFunc starts the processing of the stored message id, for example by
// starting its bounce workflow. Starting one twice must be harmless.
type StartFunc func(ctx context.Context, id int64) error

// Server is the inbound SMTP server of the bounce domain.
type Server struct {
	cfg   Config
	db    Saver
	start StartFunc
	log   *zap.Logger
	smtp  *smtp.Server

	// starts tracks workflow starts running after a 250, so Close can wait
	// for them; stop cancels them. closed, under startMu, keeps a message
	// stored while Close waits from adding one more.
	starts  sync.WaitGroup
	startMu sync.Mutex
	closed  bool
	stop    context.CancelFunc
	ctx     context.Context

	// extra caches the domains of Config.Domains, loaded at extraAt.
	mu      sync.Mutex
	extra   map[string]bool
	extraAt time.Time
}

// NewServer returns a server that stores accepted messages with db and
// hands their ids to start.
func NewServer(cfg Config, db Saver, start StartFunc, log *zap.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	cfg.Domain = strings.ToLower(strings.TrimSpace(cfg.Domain))
	if cfg.Domain == "" {
		return nil, errors.New("inbound: the bounce domain is empty: set bounce_domain or --bounce-domain")
	}
	s := &Server{cfg: cfg, db: db, start: start, log: log}
	s.ctx, s.stop = context.WithCancel(context.Background())
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.ErrorLog = zapPrinter{log}
	s.smtp = srv
	return s, nil
}

// Serve accepts connections on l until Close. It returns nil after Close.
func (s *Server) Serve(l net.Listener) error {
	err := s.smtp.Serve(newLimitListener(l, s.cfg.MaxConnections, s.cfg.SessionTimeout, s.cfg.Hostname))
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close closes the listener and every connection, and waits for workflow
// starts already under way.
func (s *Server) Close() error {
	err := s.smtp.Close()
	s.startMu.Lock()
	s.closed = true
	s.startMu.Unlock()
	s.stop()
	s.starts.Wait()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// accepts reports whether rcpt is one of the addresses the server takes
// mail for; see the package documentation.
func (s *Server) accepts(rcpt string) bool {
	addr := strings.ToLower(strings.TrimSpace(rcpt))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr == "postmaster"
	}
	if d := addr[at+1:]; d != s.cfg.Domain && !s.extraDomain(d) {
		return false
	}
	base, tag, tagged := strings.Cut(addr[:at], "+")
	switch base {
	case mailid.BouncePrefix:
		return !tagged || tag != ""
	case mailid.UnsubscribePrefix:
		return tag != ""
	case "postmaster", "abuse", "fbl":
		return !tagged
	}
	return false
}

// extraDomain reports whether domain is one of the domains of
// Config.Domains, loading them again when the cached list is old.
func (s *Server) extraDomain(domain string) bool {
	if s.cfg.Domains == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.extraAt) >= domainsRefresh {
		s.extraAt = time.Now()
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		defer cancel()
		list, err := s.cfg.Domains(ctx)
		if err != nil {
			s.log.Warn("loading the return path domains failed; keeping the last list", zap.Error(err))
		} else {
			s.extra = map[string]bool{}
			for _, d := range list {
				s.extra[strings.ToLower(strings.TrimSpace(d))] = true
			}
		}
	}
	return s.extra[domain]
}

// save stores one message and then starts its processing in the
// background. The 250 reply waits for the commit, never for Temporal.
func (s *Server) save(m store.InboundMessage) (int64, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.StoreTimeout)
	defer cancel()
	id, err := s.db.SaveInbound(ctx, m)
	if err != nil {
		return 0, err
	}
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.closed {
		return id, nil // the sweeper starts it
	}
	s.starts.Add(1)
	go func() {
		defer s.starts.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.StartTimeout)
		defer cancel()
		if err := s.start(ctx, id); err != nil {
			s.log.Warn("starting the bounce workflow failed; the sweeper starts it later",
				zap.Int64("inbound_id", id), zap.Error(err))
		}
	}()
	return id, nil
}

// session is one SMTP connection's transaction state.
type session struct {
	srv   *Server
	conn  *smtp.Conn
	from  string
	rcpts []string
	size  int64
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// errNoSuchMailbox is the reply to recipients the server does not accept.
var errNoSuchMailbox = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
	Message: "no such mailbox: this server accepts only bounce mail for its domain"}

func (x *session) Mail(from string, opts *smtp.MailOptions) error {
	x.from, x.rcpts = from, nil
	if opts != nil {
		x.size = opts.Size
	}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !x.srv.accepts(to) {
		x.srv.log.Info("recipient rejected", zap.String("rcpt", to), zap.String("remote", remote(x.conn)))
		return errNoSuchMailbox
	}
	x.rcpts = append(x.rcpts, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	cfg := x.srv.cfg
	// go-smtp renews the read deadline only before each command line, so
	// this one bounds the whole transfer, and the discarding of an
	// oversized rest, however slowly the client sends.
	_ = x.conn.Conn().SetReadDeadline(time.Now().Add(cfg.DataTimeout))
	var buf bytes.Buffer
	if x.size > 0 && x.size <= cfg.MaxMessageBytes {
		// The announced SIZE is only a hint: a client announcing the limit
		// and sending nothing must not make every connection hold it.
		buf.Grow(int(min(x.size, 1<<20)))
	}
	// go-smtp's reader fails with ErrDataTooLarge past MaxMessageBytes, so
	// at most that much is ever held.
	if _, err := buf.ReadFrom(r); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			x.srv.log.Info("message rejected: too large", zap.Int64("max_bytes", cfg.MaxMessageBytes),
				zap.String("remote", remote(x.conn)))
			return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
				Message: fmt.Sprintf("message exceeds the size limit of %d bytes", cfg.MaxMessageBytes)}
		}
		return err
	}

	m := store.InboundMessage{Source: store.SourceSMTP, Format: store.FormatMessage,
		EnvelopeSender: x.from, EnvelopeRecipient: primary(x.rcpts), Raw: buf.Bytes()}
	id, err := x.srv.save(m)
	if err != nil {
		x.srv.log.Error("storing an inbound message failed; the sender will retry",
			zap.Int("bytes", buf.Len()), zap.String("rcpt", m.EnvelopeRecipient), zap.Error(err))
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "temporary failure storing the message, try again later"}
	}
	x.srv.log.Debug("inbound message stored", zap.Int64("inbound_id", id), zap.Int("bytes", buf.Len()),
		zap.String("rcpt", m.EnvelopeRecipient))
	return nil
}

func (x *session) Reset() {
	x.from, x.rcpts, x.size = "", nil, 0
}

func (x *session) Logout() error { return nil }

// primary picks the envelope recipient a message is processed for: the
// first with a +token (a VERP or unsubscribe address), else the first.
func primary(rcpts []string) string {
	for _, r := range rcpts {
		if strings.Contains(r, "+") {
			return r
		}
	}
	if len(rcpts) == 0 {
		return ""
	}
	return rcpts[0]
}

func remote(c *smtp.Conn) string {
	if addr := c.Conn().RemoteAddr(); addr != nil {
		return addr.String()
	}
	return ""
}

// zapPrinter routes go-smtp's internal error log to zap.
type zapPrinter struct{ log *zap.Logger }

// Connection errors caused by clients (resets, garbage) are common on a
// public port, so they go to Info rather than Warn.
func (p zapPrinter) Printf(format string, v ...any) {
	p.log.Info("smtp server: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p zapPrinter) Println(v ...any) {
	p.log.Info("smtp server: " + strings.TrimSpace(fmt.Sprintln(v...)))
}
