// Package dnscheck checks that a sending domain's DNS lets receivers trust
// the mail pacer sends for it: an SPF record (RFC 7208) that authorises the
// sending host or includes the relay's record, the DKIM key record
// (RFC 6376, section 3.6) that matches the domain's private key, and a DMARC
// record (RFC 7489) with its policy. Each check says what it found and, when
// it fails, what to publish, in plain words.
//
// Lookups go through [Resolver], a github.com/miekg/dns client that can ask
// any host:port, so the checks run against a loopback server in tests.
//
// Departures: SPF macros and the ptr mechanism are not evaluated (a term that
// uses them never matches, and the result says so), and the DMARC
// organisational domain is found by walking up the labels of the name, not
// with the Public Suffix List.
package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Domain is what the checks compare the DNS with.
type Domain struct {
	// Name is the sending domain: the From domain and the DKIM d= tag.
	Name string
	// DKIMSelector and DKIMRecord are the key's selector and the TXT value it
	// needs, "v=DKIM1; k=rsa; p=...".
	DKIMSelector string
	DKIMRecord   string
	// SPFInclude is the domain whose SPF record the relay publishes, for an
	// include: mechanism; SendingHost is the IP address or host name mail
	// leaves from. Either, both or neither may be set.
	SPFInclude  string
	SendingHost string
	// ReturnPathDomain is the envelope sender's domain, whose SPF record
	// receivers evaluate. Empty means the global bounce domain, which the
	// check does not know; it then checks Name.
	ReturnPathDomain string
}

// Result is the outcome of one check.
type Result struct {
	// Check is "spf", "dkim" or "dmarc".
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	// Name is the DNS name looked up, Record the record found there.
	Name   string `json:"name"`
	Record string `json:"record,omitempty"`
	// Policy is the DMARC policy that applies to the domain.
	Policy string `json:"policy,omitempty"`
	// Detail says what was found; Fix what to change, when OK is false.
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the outcome of every check of one domain.
type Report struct {
	Domain string   `json:"domain"`
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// Check runs the SPF, DKIM and DMARC checks of d.
func Check(ctx context.Context, r *Resolver, d Domain) Report {
	rep := Report{Domain: d.Name, OK: true}
	for _, c := range []func(context.Context, *Resolver, Domain) Result{CheckSPF, CheckDKIM, CheckDMARC} {
		res := c(ctx, r, d)
		rep.OK = rep.OK && res.OK
		rep.Checks = append(rep.Checks, res)
	}
	return rep
}

// lookupFailed is the result of a check whose lookup failed for another
// reason than a missing record: a timeout or a failing resolver.
func lookupFailed(res Result, r *Resolver, err error) Result {
	res.Detail = fmt.Sprintf("the lookup failed: %v", err)
	server := r.Server
	if server == "" {
		server = "the system resolver"
	}
	res.Fix = fmt.Sprintf("make sure %s answers (dns.resolver in temporal.yaml), "+
		"then run the check again", server)
	return res
}

// CheckDKIM checks the key record at <selector>._domainkey.<domain>.
func CheckDKIM(ctx context.Context, r *Resolver, d Domain) Result {
	name := d.DKIMSelector + "._domainkey." + d.Name
	res := Result{Check: "dkim", Name: name}
	publish := fmt.Sprintf("publish a TXT record at %s with the value %q", name, d.DKIMRecord)
	txts, err := r.LookupTXT(ctx, name)
	if errors.Is(err, ErrNoRecord) {
		res.Detail = "no DKIM key record: receivers cannot verify the signature, " +
			"and DMARC fails unless SPF aligns"
		res.Fix = publish
		return res
	}
	if err != nil {
		return lookupFailed(res, r, err)
	}
	if len(txts) > 1 {
		res.Detail = fmt.Sprintf("%d TXT records at %s: receivers may pick any of them", len(txts), name)
		res.Fix = "keep one record: " + publish
		return res
	}
	res.Record = txts[0]
	want, got := tags(d.DKIMRecord), tags(txts[0])
	switch {
	case got["v"] != "" && got["v"] != "DKIM1":
		res.Detail = fmt.Sprintf("the record's version is v=%s, not v=DKIM1", got["v"])
	case got["p"] == "":
		res.Detail = "the record has no public key (an empty p= revokes the key)"
	case keyType(got) != keyType(want):
		res.Detail = fmt.Sprintf("the record is for a %s key, this domain signs with %s",
			keyType(got), keyType(want))
	case got["p"] != want["p"]:
		res.Detail = "the published public key is not the one of this domain's private key: " +
			"signatures will not verify"
	default:
		res.OK = true
		res.Detail = fmt.Sprintf("the %s public key matches this domain's private key", keyType(want))
		return res
	}
	res.Fix = "replace the record: " + publish
	return res
}

// keyType is the k= tag, "rsa" when absent (RFC 6376, section 3.6.1).
func keyType(t map[string]string) string {
	if k := strings.ToLower(t["k"]); k != "" {
		return k
	}
	return "rsa"
}

// tags parses "a=1; b=2" tag lists; whitespace inside values is dropped,
// as folded base64 may carry it.
func tags(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), "")
	}
	return out
}

// CheckDMARC checks the DMARC record at _dmarc.<domain>, falling back to
// the parent domains as receivers do for a subdomain.
func CheckDMARC(ctx context.Context, r *Resolver, d Domain) Result {
	res := Result{Check: "dmarc", Name: "_dmarc." + d.Name}
	for name, sub := d.Name, false; ; sub = true {
		found, err := dmarcRecords(ctx, r, "_dmarc."+name)
		if err != nil {
			return lookupFailed(res, r, err)
		}
		if len(found) > 1 {
			res.Name = "_dmarc." + name
			res.Detail = fmt.Sprintf("%d DMARC records at %s: receivers ignore them all "+
				"(RFC 7489, section 6.6.3)", len(found), res.Name)
			res.Fix = "keep exactly one v=DMARC1 record at " + res.Name
			return res
		}
		if len(found) == 1 {
			res.Name, res.Record = "_dmarc."+name, found[0]
			return dmarcPolicy(res, tags(found[0]), sub)
		}
		parent, ok := parentDomain(name)
		if !ok {
			break
		}
		name = parent
	}
	res.Detail = "no DMARC record: receivers apply their own rules, " +
		"and Gmail and Yahoo require one from bulk senders"
	res.Fix = fmt.Sprintf("publish a TXT record at _dmarc.%s with the value "+
		"\"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\", "+
		"then move to p=quarantine once the reports show your mail passing", d.Name, d.Name)
	return res
}

func dmarcRecords(ctx context.Context, r *Resolver, name string) ([]string, error) {
	txts, err := r.LookupTXT(ctx, name)
	if errors.Is(err, ErrNoRecord) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range txts {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=dmarc1") {
			out = append(out, t)
		}
	}
	return out, nil
}

// dmarcPolicy fills res from the record's tags; sub says the record is a
// parent domain's, whose sp= (or else p=) applies.
func dmarcPolicy(res Result, t map[string]string, sub bool) Result {
	policy := strings.ToLower(t["p"])
	if sp := strings.ToLower(t["sp"]); sub && sp != "" {
		policy = sp
	}
	res.Policy = policy
	switch policy {
	case "reject", "quarantine":
		res.OK = true
		res.Detail = fmt.Sprintf("policy %s: receivers %s mail that fails both SPF and DKIM alignment", policy,
			map[string]string{"reject": "refuse", "quarantine": "put in the spam folder"}[policy])
	case "none":
		res.OK = true
		res.Detail = "policy none: receivers only report failing mail and deliver it anyway; " +
			"move to p=quarantine once the reports show your mail passing"
	default:
		res.Detail = fmt.Sprintf("the record's policy p=%q is not none, quarantine or reject: "+
			"receivers ignore the record", t["p"])
		res.Fix = fmt.Sprintf("set p=none (or quarantine or reject) in the record at %s", res.Name)
	}
	return res
}

// parentDomain drops the first label, keeping at least two.
func parentDomain(name string) (string, bool) {
	_, parent, ok := strings.Cut(name, ".")
	if !ok || !strings.Contains(parent, ".") {
		return "", false
	}
	return parent, true
}

// CheckSPF checks the SPF record of the envelope sender's domain: present,
// unique, and covering pacer's mail through SendingHost or SPFInclude.
func CheckSPF(ctx context.Context, r *Resolver, d Domain) Result {
	name := d.ReturnPathDomain
	if name == "" {
		name = d.Name
	}
	res := Result{Check: "spf", Name: name}
	e := &spfEval{r: r}
	record, result, err := e.spfRecord(ctx, name)
	switch result {
	case spfTempError:
		return lookupFailed(res, r, err)
	case spfNone:
		res.Detail = "no SPF record: receivers cannot tell that pacer's sending host may send for " + name
		res.Fix = fmt.Sprintf("publish a TXT record at %s with the value %q", name, suggestSPF(d))
		return res
	case spfPermError:
		res.Detail = err.Error()
		res.Fix = fmt.Sprintf("merge them into one TXT record at %s, such as %q", name, suggestSPF(d))
		return res
	}
	res.Record = record
	var found, fixes []string
	if d.SPFInclude != "" {
		ok, err := e.includes(ctx, name, d.SPFInclude)
		switch {
		case err != nil:
			fixes = append(fixes, fmt.Sprintf("repair the record: %v", err))
		case ok:
			found = append(found, "it includes "+d.SPFInclude)
		default:
			fixes = append(fixes, fmt.Sprintf("add include:%s before the record's all mechanism", d.SPFInclude))
		}
	}
	if d.SendingHost != "" {
		found, fixes = checkSendingHost(ctx, r, name, d.SendingHost, found, fixes)
	}
	if d.SPFInclude == "" && d.SendingHost == "" {
		fixes = append(fixes, "set the domain's sending_host (the IP address mail leaves from) or spf_include "+
			"(the relay's SPF domain), so the check can tell whether the record covers pacer's mail")
	}
	res.OK = len(fixes) == 0
	res.Detail = spfDetail(found, e.notes, d)
	if !res.OK {
		res.Fix = strings.Join(fixes, "; ")
	}
	return res
}

// checkSendingHost evaluates the record for every address of host.
func checkSendingHost(ctx context.Context, r *Resolver, name, host string,
	found, fixes []string) ([]string, []string) {
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		var err error
		if addrs, err = r.LookupIP(ctx, host); err != nil {
			return found, append(fixes, fmt.Sprintf(
				"give sending_host an IP address or a name that resolves (%v)", err))
		}
	}
	for _, a := range addrs {
		e := &spfEval{r: r}
		result, err := e.checkHost(ctx, a, name)
		if result == spfPass {
			found = append(found, fmt.Sprintf("it authorises %s (pass)", a))
			continue
		}
		mech := "ip4:" + a.String()
		if a.Is6() {
			mech = "ip6:" + a.String()
		}
		fix := fmt.Sprintf("the record gives %s for %s: add %s before its all mechanism", result, a, mech)
		if err != nil {
			fix = fmt.Sprintf("the record gives %s for %s (%v): repair it and add %s", result, a, err, mech)
		}
		fixes = append(fixes, fix)
	}
	return found, fixes
}

func spfDetail(found, notes []string, d Domain) string {
	parts := []string{"SPF record found"}
	if len(found) > 0 {
		parts[0] += ": " + strings.Join(found, ", ")
	}
	parts = append(parts, notes...)
	if d.ReturnPathDomain == "" {
		parts = append(parts, "return_path_domain is not set, so envelope senders use the global "+
			"bounce domain: SPF does not align with From and DMARC passes through DKIM alone; "+
			"set it to bounces."+d.Name+" to align SPF too")
	} else if !alignedWith(d.ReturnPathDomain, d.Name) {
		parts = append(parts, fmt.Sprintf("%s is not %s or one of its subdomains: SPF does not align with From",
			d.ReturnPathDomain, d.Name))
	}
	return strings.Join(parts, "; ")
}

// alignedWith reports relaxed alignment: the same domain or a subdomain
// (RFC 7489, section 3.1.2, with the organisational domain taken as d).
func alignedWith(name, d string) bool {
	return name == d || strings.HasSuffix(name, "."+d)
}

// suggestSPF returns a record to publish for d.
func suggestSPF(d Domain) string {
	mechs := []string{"v=spf1"}
	if d.SendingHost != "" {
		if a, err := netip.ParseAddr(d.SendingHost); err == nil && a.Is4() {
			mechs = append(mechs, "ip4:"+a.String())
		} else if err == nil {
			mechs = append(mechs, "ip6:"+a.String())
		} else {
			mechs = append(mechs, "a:"+d.SendingHost)
		}
	}
	if d.SPFInclude != "" {
		mechs = append(mechs, "include:"+d.SPFInclude)
	}
	if len(mechs) == 1 {
		mechs = append(mechs, "include:<your relay's SPF domain>")
	}
	return strings.Join(append(mechs, "~all"), " ")
}
