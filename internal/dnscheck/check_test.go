package dnscheck_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/dnscheck"
	"github.com/pacer-email/pacer/internal/dnscheck/dnstest"
	"github.com/pacer-email/pacer/internal/message"
)

// zone sets up a loopback server holding a passing configuration of
// news.example.org and returns it with the domain to check.
func zone(t *testing.T) (*dnstest.Server, *dnscheck.Resolver, dnscheck.Domain) {
	t.Helper()
	signer, err := message.GenerateKey("rsa")
	if err != nil {
		t.Fatal(err)
	}
	key, err := message.NewDKIMKey("news.example.org", "pacer1", signer)
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.New(t)
	srv.SetTXT(key.DNSName(), key.DNSRecord())
	srv.SetTXT("bounces.news.example.org", "v=spf1 include:_spf.relay.example -all")
	srv.SetTXT("_spf.relay.example", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all")
	srv.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=quarantine; rua=mailto:d@news.example.org")
	d := dnscheck.Domain{Name: "news.example.org", DKIMSelector: "pacer1", DKIMRecord: key.DNSRecord(),
		SPFInclude: "_spf.relay.example", SendingHost: "192.0.2.25", ReturnPathDomain: "bounces.news.example.org"}
	return srv, &dnscheck.Resolver{Server: srv.Addr, Timeout: 2 * time.Second}, d
}

func TestCheckPasses(t *testing.T) {
	_, r, d := zone(t)
	rep := dnscheck.Check(context.Background(), r, d)
	if !rep.OK || len(rep.Checks) != 3 {
		t.Fatalf("report = %+v, want three passing checks", rep)
	}
	for _, c := range rep.Checks {
		if !c.OK || c.Fix != "" {
			t.Errorf("%s: ok %v, fix %q; detail %q", c.Check, c.OK, c.Fix, c.Detail)
		}
	}
	if p := rep.Checks[2].Policy; p != "quarantine" {
		t.Errorf("DMARC policy = %q, want quarantine", p)
	}
	if !strings.Contains(rep.Checks[0].Detail, "authorises 192.0.2.25") {
		t.Errorf("SPF detail %q does not say the host is authorised", rep.Checks[0].Detail)
	}
}

func TestCheckDKIM(t *testing.T) {
	other, err := message.GenerateKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := message.NewDKIMKey("news.example.org", "pacer1", other)
	if err != nil {
		t.Fatal(err)
	}
	name := "pacer1._domainkey.news.example.org"
	tests := []struct {
		name    string
		records []string // nil: no record; "FAIL": SERVFAIL
		detail  string
	}{
		{"missing", nil, "no DKIM key record"},
		{"other key", []string{"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"}, "not the one of this domain's"},
		{"other algorithm", []string{otherKey.DNSRecord()}, "ed25519 key, this domain signs with rsa"},
		{"revoked", []string{"v=DKIM1; k=rsa; p="}, "no public key"},
		{"two records", []string{"v=DKIM1; p=A", "v=DKIM1; p=B"}, "2 TXT records"},
		{"servfail", []string{"FAIL"}, "the lookup failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, r, d := zone(t)
			switch {
			case tt.records == nil:
				srv.SetTXT(name)
			case tt.records[0] == "FAIL":
				srv.Fail(name)
			default:
				srv.SetTXT(name, tt.records...)
			}
			res := dnscheck.CheckDKIM(context.Background(), r, d)
			if res.OK || !strings.Contains(res.Detail, tt.detail) || res.Fix == "" {
				t.Fatalf("result = %+v, want failure with %q and a fix", res, tt.detail)
			}
			if tt.name != "servfail" && !strings.Contains(res.Fix, d.DKIMRecord) {
				t.Errorf("fix %q does not give the record to publish", res.Fix)
			}
		})
	}
}

func TestCheckSPF(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*dnstest.Server, *dnscheck.Domain)
		ok     bool
		detail string // in Detail when ok, in Fix otherwise
	}{
		{"a mechanism", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SPFInclude = ""
			s.SetTXT("bounces.news.example.org", "v=spf1 a:out.news.example.org -all")
			s.SetA("out.news.example.org", "192.0.2.25")
		}, true, "authorises 192.0.2.25"},
		{"mx mechanism", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SPFInclude = ""
			s.SetTXT("bounces.news.example.org", "v=spf1 mx/24 -all")
			s.SetMX("bounces.news.example.org", "mx.news.example.org")
			s.SetA("mx.news.example.org", "192.0.2.1")
		}, true, "authorises 192.0.2.25"},
		{"redirect", func(s *dnstest.Server, d *dnscheck.Domain) {
			s.SetTXT("bounces.news.example.org", "v=spf1 redirect=_spf.relay.example")
		}, true, "includes _spf.relay.example"},
		{"host by name", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SendingHost = "out.relay.example"
			s.SetA("out.relay.example", "192.0.2.9", "2001:db8::9")
		}, true, "authorises 2001:db8::9"},
		{"host not covered", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SendingHost = "198.51.100.7"
		}, false, "add ip4:198.51.100.7"},
		{"include missing", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SendingHost = ""
			s.SetTXT("bounces.news.example.org", "v=spf1 ip4:192.0.2.25 -all")
		}, false, "add include:_spf.relay.example"},
		{"no record", func(s *dnstest.Server, d *dnscheck.Domain) {
			s.SetTXT("bounces.news.example.org", "google-site-verification=abc")
		}, false, `"v=spf1 ip4:192.0.2.25 include:_spf.relay.example ~all"`},
		{"two records", func(s *dnstest.Server, d *dnscheck.Domain) {
			s.SetTXT("bounces.news.example.org", "v=spf1 -all", "v=spf1 include:_spf.relay.example -all")
		}, false, "merge them into one"},
		{"too many lookups", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SPFInclude = ""
			s.SetTXT("bounces.news.example.org", "v=spf1 include:l1.example -all")
			for i := 1; i <= 11; i++ {
				s.SetTXT("l"+strconv.Itoa(i)+".example", "v=spf1 include:l"+strconv.Itoa(i+1)+".example -all")
			}
		}, false, "more than 10 DNS lookups"},
		{"nothing to compare", func(s *dnstest.Server, d *dnscheck.Domain) {
			d.SPFInclude, d.SendingHost = "", ""
		}, false, "set the domain's sending_host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, r, d := zone(t)
			tt.setup(srv, &d)
			res := dnscheck.CheckSPF(context.Background(), r, d)
			got := res.Detail
			if !tt.ok {
				got = res.Fix
			}
			if res.OK != tt.ok || !strings.Contains(got, tt.detail) {
				t.Fatalf("result = %+v, want ok %v with %q", res, tt.ok, tt.detail)
			}
		})
	}
}

func TestCheckSPFAlignment(t *testing.T) {
	srv, r, d := zone(t)
	d.ReturnPathDomain = ""
	srv.SetTXT("news.example.org", "v=spf1 ip4:192.0.2.25 include:_spf.relay.example ~all")
	res := dnscheck.CheckSPF(context.Background(), r, d)
	if !res.OK || res.Name != "news.example.org" || !strings.Contains(res.Detail, "return_path_domain is not set") {
		t.Errorf("result = %+v, want a pass on news.example.org that notes the unaligned return path", res)
	}
}

func TestCheckDMARC(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*dnstest.Server)
		ok     bool
		policy string
		text   string
	}{
		{"reject", func(s *dnstest.Server) { s.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=reject") }, true, "reject", "refuse"},
		{"none", func(s *dnstest.Server) { s.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=none") }, true, "none", "only report"},
		{"parent with sp", func(s *dnstest.Server) {
			s.SetTXT("_dmarc.news.example.org")
			s.SetTXT("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine")
		}, true, "quarantine", "spam folder"},
		{"missing", func(s *dnstest.Server) { s.SetTXT("_dmarc.news.example.org", "v=spf1 -all") }, false, "",
			`"v=DMARC1; p=none; rua=mailto:dmarc-reports@news.example.org"`},
		{"bad policy", func(s *dnstest.Server) { s.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=block") }, false, "block", "set p=none"},
		{"two records", func(s *dnstest.Server) {
			s.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=none", "v=DMARC1; p=reject")
		}, false, "", "keep exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, r, d := zone(t)
			tt.setup(srv)
			res := dnscheck.CheckDMARC(context.Background(), r, d)
			got := res.Detail
			if !tt.ok {
				got = res.Fix
			}
			if res.OK != tt.ok || res.Policy != tt.policy || !strings.Contains(got, tt.text) {
				t.Fatalf("result = %+v, want ok %v, policy %q, with %q", res, tt.ok, tt.policy, tt.text)
			}
		})
	}
}

func TestResolverFailures(t *testing.T) {
	r := &dnscheck.Resolver{Server: "127.0.0.1:1", Timeout: 300 * time.Millisecond}
	rep := dnscheck.Check(context.Background(), r, dnscheck.Domain{Name: "news.example.org",
		DKIMSelector: "s", DKIMRecord: "v=DKIM1; k=rsa; p=AB", SendingHost: "192.0.2.1"})
	for _, c := range rep.Checks {
		if c.OK || !strings.Contains(c.Detail, "lookup failed") || !strings.Contains(c.Fix, "127.0.0.1:1") {
			t.Errorf("%s: %+v, want a failed lookup naming the resolver", c.Check, c)
		}
	}
}
