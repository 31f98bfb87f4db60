package webhook

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestInternal(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"10.0.0.1", true},
		{"172.16.5.4", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"0.0.0.0", true},
		{"100.64.0.1", true},
		{"198.18.0.1", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::1", true},
		{"::", true},
		{"fe80::1", true},
		{"fd00::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true},       // IPv4-mapped
		{"::ffff:169.254.169.254", true}, // IPv4-mapped
		{"64:ff9b::a9fe:a9fe", true},     // NAT64 of 169.254.169.254
		{"93.184.216.34", false},
		{"8.8.8.8", false},
		{"172.32.0.1", false},
		{"2606:4700:4700::1111", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
	}
	for _, tt := range tests {
		if got := Internal(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Internal(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}

// fakeResolver returns the same addresses for every name and counts the
// lookups.
type fakeResolver struct {
	addrs   []netip.Addr
	lookups int
}

func (r *fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.lookups++
	return r.addrs, nil
}

func TestCheckURL(t *testing.T) {
	public := &fakeResolver{addrs: []netip.Addr{netip.MustParseAddr("93.184.216.34")}}
	rebound := &fakeResolver{addrs: []netip.Addr{
		netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1"),
	}}
	tests := []struct {
		name      string
		url       string
		r         Resolver
		forbidden bool
		invalid   bool
	}{
		{"public name", "https://hooks.example.com/pacer", public, false, false},
		{"public IP", "http://93.184.216.34:8080/x", nil, false, false},
		{"loopback IP", "http://127.0.0.1:9000/", nil, true, false},
		{"private IP", "http://10.1.2.3/", nil, true, false},
		{"metadata IP", "http://169.254.169.254/latest/meta-data/", nil, true, false},
		{"IPv6 loopback", "http://[::1]:8080/", nil, true, false},
		{"name with one internal address", "https://hooks.example.com/", rebound, true, false},
		{"ftp", "ftp://hooks.example.com/", public, false, true},
		{"file", "file:///etc/passwd", public, false, true},
		{"relative", "/hooks", public, false, true},
		{"no host", "http:///x", public, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckURL(context.Background(), tt.url, false, tt.r)
			var forbidden *ForbiddenError
			var invalid *InvalidURLError
			if got := errors.As(err, &forbidden); got != tt.forbidden {
				t.Errorf("CheckURL(%q) = %v, want forbidden %v", tt.url, err, tt.forbidden)
			}
			if got := errors.As(err, &invalid); got != tt.invalid {
				t.Errorf("CheckURL(%q) = %v, want invalid %v", tt.url, err, tt.invalid)
			}
		})
	}
}

func TestCheckURLLocalhostName(t *testing.T) {
	// localhost resolves through /etc/hosts: no query leaves the machine.
	_, err := CheckURL(context.Background(), "http://localhost:8080/hook", false, nil)
	var forbidden *ForbiddenError
	if !errors.As(err, &forbidden) || !forbidden.IP.IsLoopback() {
		t.Fatalf("CheckURL(localhost) = %v, want a loopback ForbiddenError", err)
	}
	t.Log(err)
}

func TestCheckURLAllowPrivate(t *testing.T) {
	r := &fakeResolver{}
	for _, u := range []string{"http://127.0.0.1:9000/", "http://localhost/", "http://10.0.0.1/"} {
		if _, err := CheckURL(context.Background(), u, true, r); err != nil {
			t.Errorf("CheckURL(%q, allowPrivate) = %v, want nil", u, err)
		}
	}
	if r.lookups != 0 {
		t.Errorf("allowPrivate made %d lookups, want none", r.lookups)
	}
	if _, err := CheckURL(context.Background(), "gopher://127.0.0.1/", true, r); err == nil {
		t.Error("allowPrivate let a gopher URL through")
	}
}

func TestMetadataRefusedEvenWithAllowPrivate(t *testing.T) {
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::a9fe:a9fe]/", "http://[fd00:ec2::254]/", "http://100.100.100.200/"} {
		_, err := CheckURL(context.Background(), u, true, &fakeResolver{})
		var forbidden *ForbiddenError
		if !errors.As(err, &forbidden) || !forbidden.Always || !strings.Contains(err.Error(), "metadata") {
			t.Errorf("CheckURL(%q, allowPrivate) = %v, want a metadata ForbiddenError", u, err)
		}
	}
	// The dial hook with allow_private: checked on the address alone, so
	// the test opens no connection to a metadata service.
	if err := refuseMetadata("tcp4", "169.254.169.254:80", nil); err == nil {
		t.Error("the allow_private dial hook let a metadata address through")
	}
	if err := refuseMetadata("tcp4", "10.0.0.1:80", nil); err != nil {
		t.Errorf("the allow_private dial hook refused a private address: %v", err)
	}
}
