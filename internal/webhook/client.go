package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClientConfig configures a [Client].
type ClientConfig struct {
	// AllowPrivate lets deliveries reach [Internal] addresses. Tests and
	// receivers on the operator's own network need it.
	AllowPrivate bool
	// Timeout bounds one request, from dialing to the end of the response
	// headers; 10 seconds when zero.
	Timeout time.Duration
	// UserAgent is sent with every request; "pacer-webhooks" when empty.
	UserAgent string
}

// Client posts signed events. It never uses a proxy and never follows a
// redirect. Unless AllowPrivate is set, it does not connect to an
// [Internal] address. The check runs on the address being dialed, after DNS
// resolution and before the connection is attempted, so a name that
// resolves to an internal host later (DNS rebinding) is rejected too.
type Client struct {
	http      *http.Client
	userAgent string
}

// NewClient returns a Client with its own connection pool.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "pacer-webhooks"
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	dialer.Control = refuseInternal
	if cfg.AllowPrivate {
		dialer.Control = refuseMetadata
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Client{
		userAgent: cfg.UserAgent,
		http: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// refuseInternal is the dialer's Control hook: it runs after the socket is
// created and before connect(2), with the resolved address.
func refuseInternal(_, address string, _ syscall.RawConn) error {
	return rejectDial(address, Internal, false)
}

// refuseMetadata is the dialer's Control hook with allow_private: only
// cloud metadata addresses are rejected.
func refuseMetadata(_, address string, _ syscall.RawConn) error {
	return rejectDial(address, Metadata, true)
}

// rejectDial returns a *ForbiddenError when the address being dialled
// matches forbidden.
func rejectDial(address string, forbidden func(netip.Addr) bool, always bool) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %q: %w", address, err)
	}
	if forbidden(ap.Addr()) {
		ip := ap.Addr().Unmap()
		return &ForbiddenError{Host: ip.String(), IP: ip, Always: always}
	}
	return nil
}

// Response is the receiver's HTTP response.
type Response struct {
	StatusCode int
	// Status is the status line's text, such as "503 Service Unavailable".
	Status string
	// Body is the start of the response body, for diagnostics.
	Body string
}

// maxBodySnippet is how much of a response body Send keeps.
const maxBodySnippet = 256

// Send posts ev to url, signed with secret at the current time. An error
// means no HTTP response arrived: the address was refused (a
// [*ForbiddenError] in the chain), or dialing, TLS or the request failed.
func (c *Client) Send(ctx context.Context, url, secret string, ev Event) (Response, error) {
	body, err := ev.Body()
	if err != nil {
		return Response{}, fmt.Errorf("webhook: encode event %s: %w", ev.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Response{}, fmt.Errorf("webhook: %w", err)
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(HeaderEventID, ev.ID)
	req.Header.Set(HeaderEventType, ev.Type)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodySnippet))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return Response{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Body:       strings.ToValidUTF8(strings.TrimSpace(string(snippet)), "?"),
	}, nil
}
