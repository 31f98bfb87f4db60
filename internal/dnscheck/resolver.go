package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver asks one recursive DNS server, over UDP with a TCP retry for
// truncated answers. Unlike net.Resolver, it can be pointed at any host:port,
// which lets tests serve records from a loopback server.
type Resolver struct {
	// Server is the resolver's host:port, such as "127.0.0.1:53". Empty means
	// the first nameserver of /etc/resolv.conf.
	Server string
	// Timeout bounds each query; zero means 5 seconds.
	Timeout time.Duration
}

// ErrNoRecord is returned when a name does not exist or has no record of
// the type asked for.
var ErrNoRecord = errors.New("dnscheck: no such record")

// LookupTXT returns the TXT records at name, each record's strings joined
// as RFC 7208 and RFC 6376 require.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	answers, err := r.query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range answers {
		if txt, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("TXT %s: %w", name, ErrNoRecord)
	}
	return out, nil
}

// LookupIP returns the IPv4 and IPv6 addresses of name.
func (r *Resolver) LookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
		answers, err := r.query(ctx, name, typ)
		if errors.Is(err, ErrNoRecord) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, rr := range answers {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			}
			if addr, ok := netip.AddrFromSlice(ip); ok {
				out = append(out, addr.Unmap())
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("A/AAAA %s: %w", name, ErrNoRecord)
	}
	return out, nil
}

// LookupMX returns the exchange host names of name's MX records.
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]string, error) {
	answers, err := r.query(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range answers {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, strings.TrimSuffix(mx.Mx, "."))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("MX %s: %w", name, ErrNoRecord)
	}
	return out, nil
}

func (r *Resolver) query(ctx context.Context, name string, typ uint16) ([]dns.RR, error) {
	server, err := r.server()
	if err != nil {
		return nil, err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), typ)
	m.SetEdns0(4096, false)
	c := &dns.Client{Net: "udp", Timeout: timeout}
	in, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, fmt.Errorf("dnscheck: %s %s at %s: %w", dns.TypeToString[typ], name, server, err)
	}
	switch in.Rcode {
	case dns.RcodeSuccess:
		if len(in.Answer) == 0 {
			return nil, fmt.Errorf("%s %s: %w", dns.TypeToString[typ], name, ErrNoRecord)
		}
		return in.Answer, nil
	case dns.RcodeNameError:
		return nil, fmt.Errorf("%s %s: %w", dns.TypeToString[typ], name, ErrNoRecord)
	}
	return nil, fmt.Errorf("dnscheck: %s %s at %s: server answered %s",
		dns.TypeToString[typ], name, server, dns.RcodeToString[in.Rcode])
}

// server returns the configured server or the system's first nameserver.
func (r *Resolver) server() (string, error) {
	if r.Server != "" {
		return r.Server, nil
	}
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return "", errors.New("dnscheck: no DNS resolver: set dns.resolver in temporal.yaml to a host:port")
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}
