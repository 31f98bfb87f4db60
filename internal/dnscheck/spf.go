package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF results (RFC 7208, section 2.6).
const (
	spfPass      = "pass"
	spfFail      = "fail"
	spfSoftFail  = "softfail"
	spfNeutral   = "neutral"
	spfNone      = "none"
	spfPermError = "permerror"
	spfTempError = "temperror"
)

// maxSPFLookups is the limit of DNS-querying terms per evaluation (RFC 7208,
// section 4.6.4); past it the result is permerror.
const maxSPFLookups = 10

// spfEval evaluates SPF records for one check. It implements check_host()
// for the all, include, a, mx, ip4, ip6 and exists mechanisms and the
// redirect modifier. Macros and ptr are not expanded: such a term never
// matches, and the evaluation notes it.
type spfEval struct {
	r       *Resolver
	lookups int
	notes   []string
}

// spfRecord returns the one SPF record at domain; none when there is none,
// permerror when there are several.
func (e *spfEval) spfRecord(ctx context.Context, domain string) (string, string, error) {
	txts, err := e.r.LookupTXT(ctx, domain)
	if errors.Is(err, ErrNoRecord) {
		return "", spfNone, nil
	}
	if err != nil {
		return "", spfTempError, err
	}
	var found []string
	for _, t := range txts {
		if v := strings.ToLower(t); v == "v=spf1" || strings.HasPrefix(v, "v=spf1 ") {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", spfNone, nil
	case 1:
		return found[0], "", nil
	}
	return "", spfPermError, fmt.Errorf("%d SPF records at %s; receivers ignore all of them",
		len(found), domain)
}

// checkHost returns the SPF result for mail from ip on domain.
func (e *spfEval) checkHost(ctx context.Context, ip netip.Addr, domain string) (string, error) {
	record, result, err := e.spfRecord(ctx, domain)
	if result != "" {
		return result, err
	}
	var redirect string
	for _, term := range strings.Fields(record)[1:] {
		if name, value, ok := modifier(term); ok {
			if name == "redirect" {
				redirect = value
			}
			continue
		}
		qualifier, mech := spfQualifier(term)
		match, err := e.matches(ctx, ip, domain, mech)
		if err != nil {
			return spfResultOf(err), err
		}
		if match {
			return qualifier, nil
		}
	}
	if redirect != "" {
		if err := e.count(); err != nil {
			return spfPermError, err
		}
		result, err := e.checkHost(ctx, ip, redirect)
		if result == spfNone {
			return spfPermError, fmt.Errorf("redirect=%s names a domain without SPF record", redirect)
		}
		return result, err
	}
	return spfNeutral, nil
}

// matches reports whether one mechanism matches ip.
func (e *spfEval) matches(ctx context.Context, ip netip.Addr, domain, mech string) (bool, error) {
	name, arg, _ := strings.Cut(mech, ":")
	name = strings.ToLower(name)
	if strings.HasPrefix(name, "a/") || strings.HasPrefix(name, "mx/") {
		name, arg = name[:strings.IndexByte(name, '/')], domain+mech[strings.IndexByte(mech, '/'):]
	}
	if strings.Contains(arg, "%") {
		e.notes = append(e.notes, fmt.Sprintf("%q uses macros, which this check does not expand", mech))
		return false, nil
	}
	switch name {
	case "all":
		return true, nil
	case "ip4", "ip6":
		prefix, err := parsePrefix(arg)
		if err != nil {
			return false, &permError{fmt.Sprintf("%q: %v", mech, err)}
		}
		return prefix.Contains(ip), nil
	case "include":
		if err := e.count(); err != nil {
			return false, err
		}
		result, err := e.checkHost(ctx, ip, arg)
		switch result {
		case spfPass:
			return true, nil
		case spfNone:
			return false, &permError{fmt.Sprintf("include:%s names a domain without SPF record", arg)}
		case spfPermError, spfTempError:
			return false, err
		}
		return false, nil
	case "a", "mx":
		if err := e.count(); err != nil {
			return false, err
		}
		return e.matchHosts(ctx, ip, domain, name, arg)
	case "exists":
		if err := e.count(); err != nil {
			return false, err
		}
		_, err := e.r.LookupIP(ctx, arg)
		if errors.Is(err, ErrNoRecord) {
			return false, nil
		}
		return err == nil, err
	case "ptr":
		e.notes = append(e.notes, "ptr is deprecated (RFC 7208, section 5.5) and not evaluated")
		return false, e.count()
	}
	return false, &permError{fmt.Sprintf("unknown mechanism %q", mech)}
}

// matchHosts evaluates a and mx: arg is "[domain][/len4][//len6]".
func (e *spfEval) matchHosts(ctx context.Context, ip netip.Addr, domain, name, arg string) (bool, error) {
	target, len4, len6, err := splitDualCIDR(arg, domain)
	if err != nil {
		return false, &permError{fmt.Sprintf("%s:%s: %v", name, arg, err)}
	}
	hosts := []string{target}
	if name == "mx" {
		hosts, err = e.r.LookupMX(ctx, target)
		if errors.Is(err, ErrNoRecord) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	for _, h := range hosts {
		addrs, err := e.r.LookupIP(ctx, h)
		if errors.Is(err, ErrNoRecord) {
			continue
		}
		if err != nil {
			return false, err
		}
		for _, a := range addrs {
			bits := len4
			if a.Is6() {
				bits = len6
			}
			if p, err := a.Prefix(bits); err == nil && p.Contains(ip) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (e *spfEval) count() error {
	e.lookups++
	if e.lookups > maxSPFLookups {
		return &permError{fmt.Sprintf("more than %d DNS lookups (RFC 7208, section 4.6.4): "+
			"receivers reject the record", maxSPFLookups)}
	}
	return nil
}

// includes reports whether the record at domain reaches target through
// include: or redirect=, directly or nested.
func (e *spfEval) includes(ctx context.Context, domain, target string) (bool, error) {
	record, result, err := e.spfRecord(ctx, domain)
	if result != "" {
		return false, err
	}
	for _, term := range strings.Fields(record)[1:] {
		next := ""
		if name, value, ok := modifier(term); ok && name == "redirect" {
			next = value
		} else if _, mech := spfQualifier(term); strings.HasPrefix(strings.ToLower(mech), "include:") {
			next = mech[len("include:"):]
		}
		if next == "" {
			continue
		}
		if strings.EqualFold(strings.TrimSuffix(next, "."), target) {
			return true, nil
		}
		if err := e.count(); err != nil {
			return false, err
		}
		if ok, err := e.includes(ctx, next, target); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// permError is an SPF record error that makes the result permerror.
type permError struct{ msg string }

func (e *permError) Error() string { return e.msg }

func spfResultOf(err error) string {
	var pe *permError
	if errors.As(err, &pe) {
		return spfPermError
	}
	return spfTempError
}

func spfQualifier(term string) (string, string) {
	switch term[0] {
	case '+':
		return spfPass, term[1:]
	case '-':
		return spfFail, term[1:]
	case '~':
		return spfSoftFail, term[1:]
	case '?':
		return spfNeutral, term[1:]
	}
	return spfPass, term
}

// modifier splits "name=value"; a mechanism never has "=" before ":" or "/".
func modifier(term string) (string, string, bool) {
	name, value, ok := strings.Cut(term, "=")
	if !ok || strings.ContainsAny(name, ":/") {
		return "", "", false
	}
	return strings.ToLower(name), value, true
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return addr.Prefix(addr.BitLen())
}

// splitDualCIDR splits "domain/24//64" into its parts; the domain defaults
// to def, the lengths to 32 and 128.
func splitDualCIDR(arg, def string) (string, int, int, error) {
	len4, len6 := 32, 128
	if head, v6, ok := strings.Cut(arg, "//"); ok {
		n, err := strconv.Atoi(v6)
		if err != nil || n < 0 || n > 128 {
			return "", 0, 0, fmt.Errorf("bad IPv6 prefix length %q", v6)
		}
		arg, len6 = head, n
	}
	if head, v4, ok := strings.Cut(arg, "/"); ok {
		n, err := strconv.Atoi(v4)
		if err != nil || n < 0 || n > 32 {
			return "", 0, 0, fmt.Errorf("bad IPv4 prefix length %q", v4)
		}
		arg, len4 = head, n
	}
	if arg == "" {
		arg = def
	}
	return arg, len4, len6, nil
}
