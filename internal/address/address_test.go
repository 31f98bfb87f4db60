package address

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeAccepts(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "alice@example.com", "alice@example.com"},
		{"domain lower-cased, local case " +
			"kept", "Alice.Smith@Example.COM", "Alice.Smith@example.com"},
		{"C01 trailing ASCII space", "alice@example.com ", "alice@example.com"},
		{"C01 leading space", " bob@example.net", "bob@example.net"},
		{"C01 trailing NBSP", "carol@example.com\u00a0", "carol@example.com"},
		{"C01 BOM", "\ufeffalice@example.com", "alice@example.com"},
		{"tabs and CRLF at the ends", "\t alice@example.com\r\n", "alice@example.com"},
		{"ideographic and narrow spaces", "\u3000alice@example.com\u202f", "alice@example.com"},
		{"C02 upper-case with trailing space", "ALICE@EXAMPLE.COM ", "ALICE@example.com"},
		{"plus tag kept", "alice+news@example.com", "alice+news@example.com"},
		{"atext specials", "o'neil!#$%&*/=?^_`{|}~-@example.co.uk", "o'neil!#$%&*/=?^_`{|}~-@example.co.uk"},
		{"hyphen and digits in domain", "a@mail-1.example.com", "a@mail-1.example.com"},
		{"IDN domain", "joerg@Müller.de", "joerg@xn--mller-kva.de"},
		{"IDN already in ASCII form", "joerg@XN--MLLER-KVA.DE", "joerg@xn--mller-kva.de"},
		{"64-octet local part", strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, in string
		reason   string // a substring the reason must contain
	}{
		{"empty", "", "is empty"},
		{"only spaces and NBSP", " \u00a0 ", "is empty"},
		{"display name", "Alice <alice@example.com>", "own column"},
		{"quoted display name", `"Alice" <alice@example.com>`, "own column"},
		{"inner NBSP", "carol\u00a0@example.com", "U+00A0 (no-break space) at position 6"},
		{"inner space", "carol @example.com", "has a space"},
		{"zero-width space at the end", "carol@example.com\u200b", "U+200B (zero-width space)"},
		{"zero-width joiner", "ca\u200drol@example.com", "zero-width joiner"},
		{"soft hyphen", "caro\u00adl@example.com", "soft hyphen"},
		{"inner BOM", "carol@exa\ufeffmple.com", "byte order mark"},
		{"bidi override", "\u202ecarol@example.com", "right-to-left override"},
		{"tab inside", "carol\t@example.com", "control character U+0009"},
		{"NUL", "carol\x00@example.com", "control character U+0000"},
		{"invalid UTF-8", "carol\xf6@example.com", "not valid UTF-8"},
		{"no at", "carol.example.com", "has no @"},
		{"two ats", "carol@home@example.com", "more than one @"},
		{"empty local", "@example.com", "nothing before the @"},
		{"empty domain", "carol@", "no domain"},
		{"single-label domain", "root@localhost", `"localhost" has no dot`},
		{"trailing dot", "carol@example.com.", "starts or ends with a dot"},
		{"double dot in domain", "carol@example..com", "two dots in a row"},
		{"leading hyphen label", "carol@-example.com", "hyphen"},
		{"underscore in domain", "carol@ex_ample.com", `'_'`},
		{"IP without brackets", "carol@192.0.2.1", "IP address"},
		{"address literal", "carol@[192.0.2.1]", `'['`},
		{"comma from a bad split", "carol,dave@example.com", `','`},
		{"quoted local part", `"carol dave"@example.com`, "has a space"},
		{"quote in local part", `carol"@example.com`, "quotes"},
		{"leading dot", ".carol@example.com", "starts or ends with a dot"},
		{"double dot in local", "carol..d@example.com", "two dots in a row"},
		{"non-ASCII local part", "jörg@example.de", "RFC 6531"},
		{"65-octet local part", strings.Repeat("a", 65) + "@example.com", "at most 64"},
		{"255-octet address", "a@" + long + "." + long + "." + long + "." + long[:57] + ".com", "at most 254"},
		{"63+ label", "a@" + long + "a.com", "longer than 63"},
		{"bad IDN", "a@xn--a.com\u00e9", "internationalised domain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want an error", tc.in, got)
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("Normalize(%q) error %T is not *Error", tc.in, err)
			}
			if ae.Value != tc.in {
				t.Errorf("Error.Value = %q, want %q", ae.Value, tc.in)
			}
			if !strings.Contains(ae.Reason, tc.reason) {
				t.Errorf("Normalize(%q) reason = %q, want it to mention "+
					"%q", tc.in, ae.Reason, tc.reason)
			}
			if !strings.Contains(err.Error(), ae.Reason) {
				t.Errorf("Error() = %q does not carry the reason", err.Error())
			}
		})
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, in := range []string{"Alice@Example.com", " joerg@Müller.de\u00a0", "a+b@x.example.org"} {
		once, err := Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		twice, err := Normalize(once)
		if err != nil || twice != once {
			t.Errorf("Normalize(Normalize(%q)) = %q, %v; want %q", in, twice, err, once)
		}
	}
}

// TestKeyC02 is case C02: spellings that differ only in case and padding
// share a key, and so do bounce and complaint addresses for the same person.
func TestKeyC02(t *testing.T) {
	groups := [][]string{
		{"Alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM ", "ALICE@example.com", "alice@EXAMPLE.com"},
		{"Dave@Example.com", "dave@example.com", "\ufeffdave@example.com\u00a0"},
		{"joerg@müller.de", "joerg@MÜLLER.de", "Joerg@xn--mller-kva.de"},
	}
	for _, g := range groups {
		want := Key(g[0])
		for _, a := range g[1:] {
			if got := Key(a); got != want {
				t.Errorf("Key(%q) = %q, want %q (same as %q)", a, got, want, g[0])
			}
		}
	}
	if Key("alice@example.com") == Key("alice+x@example.com") {
		t.Error("a plus tag must give a different key")
	}
	if Key("a.lice@example.com") == Key("alice@example.com") {
		t.Error("dots in the local part must give a different key")
	}
}

func TestKeyOfRejectedAddress(t *testing.T) {
	if got, want := Key(" Root@LocalHost "), "root@localhost"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}
