package bounce

import "testing"

func TestFindEnhanced(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"550 5.1.351 Remote server returned unknown recipient", "5.1.351"},
		{"550-5.7.1 [192.0.2.10 12] Our system", "5.7.1"},
		{"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"},
		{"550 5.1.1.", "5.1.1"},
		{"mailbox full 5.2.2", "5.2.2"},
		{"said: 421 4.7.0 [TSS04] deferred - 4.16.55.1; see", "4.7.0"},
		{"host [192.0.2.22] said: 550 no code", ""},
		{"deferred - 4.16.55.1", ""},
		{"Exim 4.77 here", ""},
		{"version 15.2.2.1", ""},
		{"3.1.1 is not a class", ""},
		{"5.1234.1", ""},
	}
	for _, tt := range tests {
		c, ok := findEnhanced(tt.text)
		got := ""
		if ok {
			got = c.String()
		}
		if got != tt.want {
			t.Errorf("findEnhanced(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		field, want string
	}{
		{"5.1.351", "5.1.351"},
		{" 4.7.0 ", "4.7.0"},
		{"5.2.2 (mailbox full)", "5.2.2"},
		{"5.1.10", "5.1.10"},
		{"5.1", ""},
		{"x.1.1", ""},
		{"smtp; 5.1.1", ""},
		{"5.1.1.1", ""},
	}
	for _, tt := range tests {
		c, ok := parseStatus(tt.field)
		got := ""
		if ok {
			got = c.String()
		}
		if got != tt.want {
			t.Errorf("parseStatus(%q) = %q, want %q", tt.field, got, tt.want)
		}
	}
}

func TestFindBasic(t *testing.T) {
	for text, want := range map[string]int{
		"said: 550 5.1.1 user":              550,
		"550-5.1.1 The email account":       550,
		"450 450 4.2.2 Mailbox Full":        450,
		"at 2013 23:45:00 -0800":            0,
		"IP 192.0.2.45 said hello":          0,
		"host mx.example.com [192.0.2.17]:": 0,
		"reply was 421":                     421,
		"250 OK":                            0,
	} {
		if got := findBasic(text); got != want {
			t.Errorf("findBasic(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status string
		basic  int
		text   string
		want   VerdictKind
	}{
		{"5.1.1", 550, "user unknown", Hard},
		{"5.1.1", 550, "", Hard},
		{"5.1.3", 553, "bad address syntax", Hard},
		{"5.1.351", 550, "", Hard},
		{"5.1.10", 556, "null MX", Hard},
		{"5.1.7", 550, "bad sender mailbox syntax", Soft},
		{"5.1.8", 553, "sender domain does not resolve", Soft},
		{"5.1.0", 550, "Sender address rejected: Domain not found", Soft},
		{"5.2.1", 550, "User Unknown", Hard},
		{"5.2.1", 550, "The email account that you tried to reach is disabled.", Hard},
		{"5.2.1", 550, "receiving mail at a rate that prevents additional messages", Soft},
		{"5.2.2", 552, "Mailbox full", Soft},
		{"5.2.2", 550, "user unknown or mailbox full", Soft},
		{"5.2.3", 552, "message too large", Soft},
		{"5.3.4", 552, "message size exceeds limit", Soft},
		{"5.4.4", 550, "unable to route", Soft},
		{"5.7.1", 550, "user unknown (spam blocked)", Soft},
		{"5.7.1", 550, "Service unavailable; permanent failure", Soft},
		{"5.7.26", 550, "unauthenticated", Soft},
		{"4.2.2", 452, "user unknown", Soft},
		{"4.7.0", 421, "permanently deferred", Soft},
		{"2.0.0", 250, "", NotBounce},
		{"5.0.0", 550, "unknown user", Hard},
		{"5.0.0", 550, "This is a permanent error", Soft},
		{"", 550, "No such user here", Hard},
		{"", 550, "Mailbox quota exceeded for no such user", Soft},
		{"", 554, "blocked: user unknown", Soft},
		{"", 451, "no such user", Soft},
		{"", 0, "permanent failure", Soft},
		{"", 0, "unknown user", Hard},
	}
	for _, tt := range tests {
		code, ok := parseStatus(tt.status)
		if got := classify(code, ok, tt.basic, tt.text); got != tt.want {
			t.Errorf("classify(%q, %d, %q) = %s, want %s", tt.status, tt.basic, tt.text, got, tt.want)
		}
	}
}
