package tracking

import "testing"

func TestLocationHeader(t *testing.T) {
	tests := []struct{ target, want string }{
		{"https://example.com/a?b=1&c=2#f", "https://example.com/a?b=1&c=2#f"},
		{"https://example.com/café/menü?x=1&y=ä", "https://example.com/caf%C3%A9/men%C3%BC?x=1&y=%C3%A4"},
		{"https://docs.example.com/Shared%20Documents/Q3.docx", "https://docs.example.com/Shared%20Documents/Q3.docx"},
		{"https://shop.example.com/search?f[0]=themes:2", "https://shop.example.com/search?f[0]=themes:2"},
		{"https://example.com/a b", "https://example.com/a%20b"},
		{"https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"},
		{"https://user@bücher.example:8443/x", "https://user@xn--bcher-kva.example:8443/x"},
		{"https://bücher.example?q=ü", "https://xn--bcher-kva.example?q=%C3%BC"},
		{"https://[2001:db8::1]:8080/ä", "https://[2001:db8::1]:8080/%C3%A4"},
	}
	for _, tt := range tests {
		if got := LocationHeader(tt.target); got != tt.want {
			t.Errorf("LocationHeader(%q) = %q, want %q", tt.target, got, tt.want)
		}
	}
}
