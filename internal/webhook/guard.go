package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// ForbiddenError is a webhook address in a network pacer does not post to
// unless webhooks.allow_private is set: loopback, private, link-local and
// similar ranges that reach the operator's own hosts rather than the
// Internet.
type ForbiddenError struct {
	Host string
	IP   netip.Addr
	// Always is set for cloud metadata addresses, which allow_private does
	// not open.
	Always bool
}

func (e *ForbiddenError) Error() string {
	subject := e.Host + " resolves to " + e.IP.String() + ","
	if e.Host == e.IP.String() {
		subject = e.Host + " is"
	}
	if e.Always {
		return "webhook: " + subject + " a cloud metadata address, which pacer never posts to"
	}
	return "webhook: " + subject + " a loopback, private or link-local address; " +
		"pacer refuses it unless webhooks.allow_private is true"
}

// metadataAddrs are the instance metadata services of cloud providers.
// They hand out credentials, so webhooks never reach them, not even with
// webhooks.allow_private, which is meant for receivers on private networks.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("169.254.170.2"),
	netip.MustParseAddr("100.100.100.200"),
	netip.MustParseAddr("fd00:ec2::254"),
}

// Metadata reports whether ip is a cloud metadata address, also when it is
// IPv4-mapped or behind NAT64.
func Metadata(ip netip.Addr) bool {
	return slices.Contains(metadataAddrs, embedded(ip))
}

// embedded returns the IPv4 address that an IPv4-mapped or NAT64 address
// carries, and any other address as it is.
func embedded(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	return ip
}

// internalPrefixes are ranges beyond the netip predicates that reach no
// public host: "this network", shared address space (carrier-grade NAT),
// IETF protocol assignments, benchmarking, the reserved class E with the
// limited broadcast, and deprecated IPv6 site-local addresses.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
}

// nat64 is the well-known NAT64 prefix (RFC 6052), whose last 32 bits are an
// IPv4 address the gateway connects to.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Internal reports whether ip is an address webhooks may not reach without
// webhooks.allow_private: loopback, private (RFC 1918, RFC 4193),
// link-local, unspecified, multicast, the ranges listed above, and IPv6
// addresses that embed such an IPv4 address (IPv4-mapped, NAT64).
func Internal(ip netip.Addr) bool {
	ip = embedded(ip)
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// InvalidURLError is a webhook URL that cannot be used, whatever the
// network policy.
type InvalidURLError struct{ Msg string }

func (e *InvalidURLError) Error() string { return "webhook: " + e.Msg }

// CheckURL parses raw and checks that it is an absolute http or https URL.
// Unless allowPrivate is set, it also resolves the host and refuses it with
// a [*ForbiddenError] when any of its addresses is [Internal]. Nothing is
// sent to the host. The client checks again on every connection, since a
// name may resolve differently later.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, &InvalidURLError{Msg: fmt.Sprintf("url %q: %v", raw, err)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &InvalidURLError{Msg: fmt.Sprintf("url %q: use an http or https URL", raw)}
	}
	host := u.Hostname()
	if host == "" {
		return nil, &InvalidURLError{Msg: fmt.Sprintf("url %q has no host", raw)}
	}
	if allowPrivate {
		if ip, err := netip.ParseAddr(host); err == nil && Metadata(ip) {
			return nil, &ForbiddenError{Host: host, IP: ip, Always: true}
		}
		return u, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if Internal(ip) {
			return nil, &ForbiddenError{Host: host, IP: ip}
		}
		return u, nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no addresses")
	}
	if err != nil {
		return nil, &InvalidURLError{Msg: fmt.Sprintf("host %q of url %q does not resolve: %v", host, raw, err)}
	}
	for _, ip := range ips {
		if Internal(ip) {
			return nil, &ForbiddenError{Host: host, IP: ip.Unmap()}
		}
	}
	return u, nil
}
