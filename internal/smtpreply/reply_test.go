package smtpreply

import (
	"errors"
	"fmt"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want Reply
	}{
		{"B02 multi-line, code on every line",
			"550-5.7.1 [192.0.2.10 12] Our system has detected that this message is\r\n" +
				"550-5.7.1 likely unsolicited mail.\r\n" +
				"550 5.7.1 for more information. - gsmtp\r\n",
			Reply{550, "5.7.1", "[192.0.2.10 12] Our system has detected that this message is\n" +
				"likely unsolicited mail.\nfor more information. - gsmtp"}},
		{"code only on the last line",
			"550-Line one\n550 5.1.1 user unknown",
			Reply{550, "5.1.1", "Line one\nuser unknown"}},
		{"A05 three-digit detail", "550 5.1.351 Remote server returned unknown recipient",
			Reply{550, "5.1.351", "Remote server returned unknown recipient"}},
		{"B01 dotted number in the text is not a code",
			"421 [TSS04] deferred - 4.16.55.1; see https://postmaster.example",
			Reply{421, "", "[TSS04] deferred - 4.16.55.1; see https://postmaster.example"}},
		{"no enhanced code", "454 Throttling failure: Maximum sending rate exceeded.",
			Reply{454, "", "Throttling failure: Maximum sending rate exceeded."}},
		{"code alone", "250", Reply{250, "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.wire)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tc.wire, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, wire := range []string{"", "ok", "hello world", "550-a\n551 b", "999 too big"} {
		if r, err := Parse(wire); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", wire, r)
		}
	}
}

func TestParseEnhanced(t *testing.T) {
	tests := []struct {
		in   string
		want enhanced
		ok   bool
	}{
		{"5.1.1", enhanced{5, 1, 1}, true},
		{"5.1.351", enhanced{5, 1, 351}, true},
		{"5.1.10", enhanced{5, 1, 10}, true},
		{"4.7.28", enhanced{4, 7, 28}, true},
		{"2.0.0", enhanced{2, 0, 0}, true},
		{"5.7.606", enhanced{5, 7, 606}, true},
		{"5.1.3510", enhanced{}, false},
		{"4.16.55.1", enhanced{}, false},
		{"6.1.1", enhanced{}, false},
		{"55.1.1", enhanced{}, false},
		{"5..1", enhanced{}, false},
		{"5.1.", enhanced{}, false},
		{"5.a.1", enhanced{}, false},
		{"", enhanced{}, false},
	}
	for _, tc := range tests {
		got, ok := parseEnhanced(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("parseEnhanced(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFromError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Reply
	}{
		{"enhanced code parsed by go-smtp",
			&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 351}, Message: "unknown recipient"},
			Reply{550, "5.1.351", "unknown recipient"}},
		{"not set: read from the text",
			&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "5.1.1 user unknown"},
			Reply{550, "5.1.1", "user unknown"}},
		{"multi-line with the code on the last line only",
			&smtp.SMTPError{Code: 550, Message: "[192.0.2.10] this message is\nlikely " +
				"unsolicited\n5.7.1 more"},
			Reply{550, "5.7.1", "[192.0.2.10] this message is\nlikely unsolicited\nmore"}},
		{"NoEnhancedCode and none in the text",
			&smtp.SMTPError{Code: 454, EnhancedCode: smtp.NoEnhancedCode, Message: "Throttling failure"},
			Reply{454, "", "Throttling failure"}},
		{"invalid code from go-smtp is ignored",
			&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{9, 9, 9}, Message: "odd"},
			Reply{550, "", "odd"}},
		{"wrapped",
			fmt.Errorf("send to olivia@example.com: %w",
				&smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "over quota"}),
			Reply{452, "4.2.2", "over quota"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromError(tc.err)
			if !ok {
				t.Fatalf("FromError(%v) found no reply", tc.err)
			}
			if got != tc.want {
				t.Errorf("FromError(%v)\n got %#v\nwant %#v", tc.err, got, tc.want)
			}
		})
	}
	if _, ok := FromError(errors.New("dial tcp: connection refused")); ok {
		t.Error("FromError found a reply in a plain error")
	}
	if _, ok := FromError(nil); ok {
		t.Error("FromError found a reply in nil")
	}
}

func TestReplyString(t *testing.T) {
	if got, want := (Reply{550, "5.1.1", "user unknown"}).String(), "550 5.1.1 user unknown"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (Reply{454, "", "Throttling failure"}).String(), "454 Throttling failure"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
