package tracking

import (
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/render"
)

func TestRewriteTextFindsURLs(t *testing.T) {
	tr := newTestTracker(t)
	tests := []struct {
		text    string
		targets []string
	}{
		{"Visit https://example.com/a.", []string{"https://example.com/a"}},
		{"Offer (https://www.example.com/offer)", []string{"https://www.example.com/offer"}},
		{"See https://en.example.org/wiki/Foo_(bar), then", []string{"https://en.example.org/wiki/Foo_(bar)"}},
		{"(https://en.example.org/wiki/Foo_(bar))", []string{"https://en.example.org/wiki/Foo_(bar)"}},
		{"<https://example.com/x?a=1&b=2>", []string{"https://example.com/x?a=1&b=2"}},
		{`"https://example.com/q"`, []string{"https://example.com/q"}},
		{"Menu (https://example.com/café/menü?x=1&y=ä)", []string{"https://example.com/café/menü?x=1&y=ä"}},
		{"a https://a.example/\nb http://b.example/x#f\n", []string{"https://a.example/", "http://b.example/x#f"}},
		{"HTTPS://EXAMPLE.COM/Up!", []string{"HTTPS://EXAMPLE.COM/Up"}},
		{"https://example.com/%20ok?x=%2F", []string{"https://example.com/%20ok?x=%2F"}},
		{"詳細はhttps://example.jp/お知らせ。", []string{"https://example.jp/お知らせ"}},
		{"no link: xhttps://example.com/ or https:// alone", nil},
		{"mailto:help@example.org?subject=Hi%20there tel:+15555550100", nil},
	}
	for _, tt := range tests {
		out := tr.RewriteText(tt.text, Message{ID: testID})
		got := targetsOf(t, tr, out, nil)
		if strings.Join(got, " ") != strings.Join(tt.targets, " ") {
			t.Errorf("RewriteText(%q): targets %q, want %q\n%s", tt.text, got, tt.targets, out)
		}
		rebuilt := out
		for _, target := range tt.targets {
			rebuilt = strings.Replace(rebuilt, tr.ClickURL(Message{ID: testID}, target), target, 1)
		}
		if rebuilt != tt.text {
			t.Errorf("RewriteText(%q) changed other text: %q", tt.text, out)
		}
	}
}

func TestRewriteTextLeavesUnsubscribeAlone(t *testing.T) {
	tr := newTestTracker(t)
	unsub := tr.UnsubscribeURL(testID)
	text := "Unsubscribe: " + unsub + "\nTracked before: " + tr.ClickURL(Message{ID: testID}, "https://a.example/")
	if got := tr.RewriteText(text, Message{ID: testID, UnsubscribeURL: unsub}); got != text {
		t.Errorf("RewriteText changed %q into %q", text, got)
	}
}

// In the text part made from the HTML, only the web link changes. The others
// stay byte for byte as their decoded hrefs.
func TestRewriteTextOfGeneratedText(t *testing.T) {
	tr := newTestTracker(t)
	text := render.HTMLToText(readCase(t, "d02.html"))
	out := tr.RewriteText(text, Message{ID: testID})
	for _, keep := range []string{
		"mailto:help@news.example.org?subject=Question%20about%20my%20order&body=Hi%2C",
		"tel:+15555550100", "sms:+15555550100", "Back to top",
	} {
		if !strings.Contains(out, keep) {
			t.Errorf("text part lost %q:\n%s", keep, out)
		}
	}
	if got := targetsOf(t, tr, out, nil); len(got) != 1 || got[0] != "https://www.example.com/offer" {
		t.Errorf("targets = %q", got)
	}
	if strings.Count(out, testBase) != 1 {
		t.Errorf("more than one tracking URL:\n%s", out)
	}
}

// The text part made from the HTML tracks the same targets as the HTML.
func TestRewriteTextOfGeneratedTextD01(t *testing.T) {
	tr := newTestTracker(t)
	out := tr.RewriteText(render.HTMLToText(readCase(t, "d01.html")), Message{ID: testID})
	if got := targetsOf(t, tr, out, nil); strings.Join(got, " ") != strings.Join(d01Targets, " ") {
		t.Errorf("targets %q, want %q", got, d01Targets)
	}
}
