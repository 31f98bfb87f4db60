// Package dnstest runs an authoritative DNS server on a random loopback UDP
// port for tests, serving the TXT, A and MX records a test sets. Names it
// holds no record of answer NXDOMAIN; a name set with [Server.Fail] answers
// SERVFAIL.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a loopback DNS server.
type Server struct {
	// Addr is the server's host:port, for dnscheck.Resolver.Server.
	Addr string

	mu   sync.Mutex
	txt  map[string][]string
	a    map[string][]netip.Addr
	mx   map[string][]string
	fail map[string]bool
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: pc.LocalAddr().String(), txt: map[string][]string{},
		a: map[string][]netip.Addr{}, mx: map[string][]string{}, fail: map[string]bool{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve),
		NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe() //nolint:errcheck
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

// SetTXT replaces the TXT records of name; each value is one record.
func (s *Server) SetTXT(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txt[key(name)] = values
}

// SetA replaces the addresses of name, IPv4 or IPv6.
func (s *Server) SetA(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	s.a[key(name)] = out
}

// SetMX replaces the MX hosts of name.
func (s *Server) SetMX(name string, hosts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mx[key(name)] = hosts
}

// Fail makes every query for name answer SERVFAIL.
func (s *Server) Fail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[key(name)] = true
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		s.answer(m, req.Question[0])
	}
	_ = w.WriteMsg(m)
}

func (s *Server) answer(m *dns.Msg, q dns.Question) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := key(q.Name)
	if s.fail[name] {
		m.Rcode = dns.RcodeServerFailure
		return
	}
	_, hasTXT := s.txt[name]
	_, hasA := s.a[name]
	_, hasMX := s.mx[name]
	if !hasTXT && !hasA && !hasMX {
		m.Rcode = dns.RcodeNameError
		return
	}
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Rrtype: q.Qtype, Ttl: 60}
	switch q.Qtype {
	case dns.TypeTXT:
		for _, v := range s.txt[name] {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: split(v)})
		}
	case dns.TypeA, dns.TypeAAAA:
		for _, a := range s.a[name] {
			if a.Is4() && q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: a.AsSlice()})
			} else if a.Is6() && q.Qtype == dns.TypeAAAA {
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
			}
		}
	case dns.TypeMX:
		for i, h := range s.mx[name] {
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr, Preference: uint16(10 * (i + 1)), Mx: dns.Fqdn(h)})
		}
	}
}

// split cuts a TXT value into the strings of at most 255 octets that one
// record carries; resolvers join them again.
func split(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
