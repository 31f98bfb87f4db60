package mailid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// referenceMAC computes a MAC in the plainest way: a new HMAC for every
// call and the upper-case standard base32 alphabet, lowered afterwards.
func referenceMAC(key []byte, parts ...string) string {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(h.Sum(nil))[:macLength])
}

// Known MACs and tokens for the test key. Mail already sent carries such
// values, so they must never change.
func TestMACGolden(t *testing.T) {
	s := newTestSigner(t)
	tests := []struct {
		name, got, want string
	}{
		{"token", s.Token(ID{CampaignID: 12, SubscriberID: 345}), "12.345.ugreansyn64btckc"},
		{"token extremes", s.Token(ID{CampaignID: -9223372036854775808, SubscriberID: 9223372036854775807}),
			"-9223372036854775808.9223372036854775807.4exvjna37e5qj3si"},
		{"no parts", s.MAC(), "hvfl6mp2myx6fq2d"},
		{"empty part", s.MAC(""), "vxt3yan54q2eclks"},
		{"click", s.MAC("click", "12", "345", "sd3d3LmV4YW1wbGUuY29tLw"), "rzxyrltk2qa4fpwv"},
		{"hook", s.MAC("bounce-hook", "ses"), "53a2h4jkiv5gtsel"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestMACMatchesReference(t *testing.T) {
	key := []byte("0123456789abcdef0123")
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		parts := make([]string, r.IntN(5))
		for j := range parts {
			b := make([]byte, r.IntN(200))
			for k := range b {
				b[k] = byte(r.UintN(256))
			}
			parts[j] = string(b)
		}
		want := referenceMAC(key, parts...)
		if got := s.MAC(parts...); got != want {
			t.Fatalf("case %d: MAC = %q, want %q", i, got, want)
		}
		byteParts := make([][]byte, len(parts))
		for j, p := range parts {
			byteParts[j] = []byte(p)
		}
		if got := string(s.AppendMACBytes(nil, byteParts...)); got != want {
			t.Fatalf("case %d: AppendMACBytes = %q, want %q", i, got, want)
		}
		if !s.VerifyMAC(strings.ToUpper(want), parts...) {
			t.Fatalf("case %d: VerifyMAC rejected the upper-case MAC %q", i, want)
		}
		id := ID{CampaignID: r.Int64() - 1<<62, SubscriberID: r.Int64()}
		c := strconv.FormatInt(id.CampaignID, 10)
		sub := strconv.FormatInt(id.SubscriberID, 10)
		if got, want := s.Token(id), c+"."+sub+"."+referenceMAC(key, "id", c, sub); got != want {
			t.Fatalf("Token(%+v) = %q, want %q", id, got, want)
		}
	}
}

func TestAppendMACKeepsPrefix(t *testing.T) {
	s := newTestSigner(t)
	got := string(s.AppendMAC([]byte("prefix."), "a", "b"))
	if want := "prefix." + s.MAC("a", "b"); got != want {
		t.Errorf("AppendMAC = %q, want %q", got, want)
	}
}

// A part may be a slice of dst, as when a click token is signed in place.
func TestAppendMACBytesAliasingDst(t *testing.T) {
	s := newTestSigner(t)
	for _, extra := range []int{0, 16, 100} {
		dst := make([]byte, 0, len("field.")+extra)
		dst = append(dst, "field."...)
		got := string(s.AppendMACBytes(dst, []byte("click"), dst[:5]))
		if want := "field." + s.MAC("click", "field"); got != want {
			t.Errorf("spare capacity %d: AppendMACBytes = %q, want %q", extra, got, want)
		}
	}
}

func TestVerifyMACRejectsWrongMAC(t *testing.T) {
	s := newTestSigner(t)
	mac := s.MAC("a", "b")
	for _, bad := range []string{"", mac[:15], mac + "a", "aaaaaaaaaaaaaaaa", s.MAC("a", "c"), s.MAC("ab")} {
		if s.VerifyMAC(bad, "a", "b") {
			t.Errorf("VerifyMAC accepted %q", bad)
		}
	}
}

func TestMACConcurrentUse(t *testing.T) {
	s := newTestSigner(t)
	key := []byte("0123456789abcdef0123")
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				part := strconv.Itoa(g*1000 + i)
				if got, want := s.MAC("x", part), referenceMAC(key, "x", part); got != want {
					errs <- "MAC(x, " + part + ") = " + got + ", want " + want
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestMACAllocations(t *testing.T) {
	s := newTestSigner(t)
	s.MAC("warm", "up")
	dst := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { dst = s.AppendMAC(dst[:0], "click", "12", "345", "field") }); n != 0 {
		t.Errorf("AppendMAC made %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { s.Token(ID{CampaignID: 12, SubscriberID: 345}) }); n > 1 {
		t.Errorf("Token made %v allocations, want at most 1", n)
	}
}

func BenchmarkMAC(b *testing.B) {
	s, err := NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.MAC("click", "12", "345", "sd3d3LmV4YW1wbGUuY29tLw")
	}
}

func BenchmarkToken(b *testing.B) {
	s, err := NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Token(ID{CampaignID: 12, SubscriberID: 345})
	}
}
