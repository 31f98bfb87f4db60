package mailid

import "testing"

func newTestSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReturnPathRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	id := ID{CampaignID: 12, SubscriberID: 345}
	addr := s.ReturnPath(id, "bounce.example.org")
	got, kind, ok := s.ParseAddress("<" + addr + ">")
	if !ok {
		t.Fatalf("ParseAddress(%q) rejected its own return path", addr)
	}
	if kind != KindBounce {
		t.Errorf("kind = %v, want KindBounce", kind)
	}
	if got != id {
		t.Errorf("id = %+v, want %+v", got, id)
	}
}

func TestParseAddressUpperCase(t *testing.T) {
	s := newTestSigner(t)
	id := ID{CampaignID: 1, SubscriberID: 2}
	addr := s.UnsubscribeAddress(id, "news.example.org")
	got, kind, ok := s.ParseAddress(upper(addr))
	if !ok || kind != KindUnsubscribe || got != id {
		t.Errorf("ParseAddress(%q) = %+v, %v, %v", upper(addr), got, kind, ok)
	}
}

func TestParseAddressRejectsForgery(t *testing.T) {
	s := newTestSigner(t)
	addr := s.ReturnPath(ID{CampaignID: 12, SubscriberID: 345}, "b.example.org")
	forged := []string{
		"bounces+12.346." + addr[len("bounces+12.345."):],
		"bounces+12.345.aaaaaaaaaaaaaaaa@b.example.org",
		"bounces+12.345@b.example.org",
		"other+" + addr[len("bounces+"):],
		"bounces@b.example.org",
		"",
	}
	for _, f := range forged {
		if _, _, ok := s.ParseAddress(f); ok {
			t.Errorf("ParseAddress(%q) accepted a forged address", f)
		}
	}
}

func TestMessageIDRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	id := ID{CampaignID: 7, SubscriberID: 9}
	mid := s.MessageID(id, "news.example.org")
	got, ok := s.ParseMessageID("<" + mid + ">")
	if !ok || got != id {
		t.Errorf("ParseMessageID(%q) = %+v, %v", mid, got, ok)
	}
	if _, ok := s.ParseMessageID("<pacer.7.10." + mid[len("pacer.7.9."):] + ">"); ok {
		t.Error("ParseMessageID accepted an altered subscriber id")
	}
}

func TestNewSignerShortKey(t *testing.T) {
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("NewSigner accepted a 5-byte key")
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
