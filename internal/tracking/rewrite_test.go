package tracking

import (
	"os"
	"strings"
	"testing"

	"github.com/pacer-email/pacer/internal/mailid"
)

const testBase = "https://news.example.org"

var testID = mailid.ID{CampaignID: 12, SubscriberID: 345}

func newTestTracker(t testing.TB) *Tracker {
	t.Helper()
	s, err := mailid.NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(s, testBase+"/")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func readCase(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// targetsOf parses every click URL in s and returns their targets, resolving
// indexed tokens in links.
func targetsOf(t *testing.T, tr *Tracker, s string, links *Links) []string {
	t.Helper()
	var out []string
	prefix := testBase + ClickPath
	for rest := s; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return out
		}
		rest = rest[i+len(prefix):]
		n := strings.IndexFunc(rest, func(r rune) bool {
			return !(r == '.' || r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		})
		if n < 0 {
			n = len(rest)
		}
		click, ok := tr.ParseClick(rest[:n])
		if !ok {
			t.Fatalf("ParseClick(%q) rejected a token Rewrite made", rest[:n])
		}
		if click.ID != testID {
			t.Errorf("click id = %+v, want %+v", click.ID, testID)
		}
		target := click.Target
		if click.Link >= 0 {
			target, ok = links.Target(click.Link)
			if !ok {
				t.Fatalf("link %d not in the list", click.Link)
			}
		}
		out = append(out, target)
	}
}

// wantRewritten checks that out is in with each raw href value, as written
// in the HTML, replaced by a click URL and nothing else changed.
func wantRewritten(t *testing.T, tr *Tracker, in, out string, rawHrefs []string, links *Links) {
	t.Helper()
	rebuilt := in
	for _, raw := range rawHrefs {
		target := strings.ReplaceAll(raw, "&amp;", "&")
		click := tr.ClickURL(Message{ID: testID, Links: links}, target)
		if !strings.Contains(rebuilt, `"`+raw+`"`) {
			t.Fatalf("input has no href %q", raw)
		}
		rebuilt = strings.Replace(rebuilt, `"`+raw+`"`, `"`+click+`"`, 1)
	}
	if out != rebuilt {
		t.Errorf("markup changed beyond the hrefs:\n got %s\nwant %s", out, rebuilt)
	}
}

var d01Hrefs = []string{
	"https://shop.example.com/search?fulltext=campus&amp;f[0]=themes:2&amp;f[1]=themes:1706",
	"https://docs.example.com/sites/Team/Shared%20Documents/Plan%20Q3.docx?d=w1a2b&amp;csf=1&amp;web=1",
	"https://example.com/café/menü?x=1&amp;y=ä",
	"https://example.com/confirm?id=42",
}

var d01Targets = []string{
	"https://shop.example.com/search?fulltext=campus&f[0]=themes:2&f[1]=themes:1706",
	"https://docs.example.com/sites/Team/Shared%20Documents/Plan%20Q3.docx?d=w1a2b&csf=1&web=1",
	"https://example.com/café/menü?x=1&y=ä",
	"https://example.com/confirm?id=42",
}

// Targets keep brackets, %-escapes and non-ASCII, also in a multi-line <a> tag.
func TestRewriteComplexURLs(t *testing.T) {
	tr := newTestTracker(t)
	in := readCase(t, "d01.html")
	for _, registered := range []bool{false, true} {
		var links *Links
		if registered {
			links = NewLinks(tr.CollectLinks(in, "", ""))
		}
		out := tr.Rewrite(in, Message{ID: testID, Links: links})
		got := targetsOf(t, tr, out, links)
		if strings.Join(got, "\n") != strings.Join(d01Targets, "\n") {
			t.Errorf("registered=%v: targets\n%s\nwant\n%s", registered,
				strings.Join(got, "\n"), strings.Join(d01Targets, "\n"))
		}
		wantRewritten(t, tr, in, out, d01Hrefs, links)
		if strings.Contains(out, "%25") || strings.Contains(out, "&amp;amp;") {
			t.Errorf("double encoding in %s", out)
		}
	}
}

// Only web links go through the redirector.
func TestRewriteOnlyWebLinks(t *testing.T) {
	tr := newTestTracker(t)
	in := readCase(t, "d02.html")
	out := tr.Rewrite(in, Message{ID: testID})
	wantRewritten(t, tr, in, out, []string{"https://www.example.com/offer"}, nil)
	if n := strings.Count(out, testBase); n != 1 {
		t.Errorf("%d tracking URLs in %s, want 1", n, out)
	}
}

func TestRewriteLeavesLinksAlone(t *testing.T) {
	tr := newTestTracker(t)
	unsub := tr.UnsubscribeURL(testID)
	tests := []struct{ name, html string }{
		{"unsubscribe", `<a href="` + unsub + `">Unsubscribe</a>`},
		{"unsubscribe with spaces", `<a href=" ` + unsub + ` ">Unsubscribe</a>`},
		{"no-track marker", `<a data-pacer-notrack href="https://example.com/">x</a>`},
		{"no-track marker after href", `<a href="https://example.com/" DATA-PACER-NOTRACK>x</a>`},
		{"already tracked", `<a href="` + testBase + `/t/c/1.2.3.abc">x</a>`},
		{"relative", `<a href="/offer">x</a> <a href="offer.html">y</a>`},
		{"scheme-relative", `<a href="//example.com/">x</a>`},
		{"javascript", `<a href="javascript:void(0)">x</a>`},
		{"data", `<a href="data:text/html,hi">x</a>`},
		{"cid", `<a href="cid:part1@example.org">x</a>`},
		{"empty", `<a href="">x</a><a>y</a><a name="top">z</a>`},
		{"placeholder", `<a href="{{ .UnsubscribeURL }}">x</a> <a href="[unsubscribe]">y</a>`},
		{"not a link tag", `<link href="https://example.com/s.css"><base href="https://example.com/">` +
			`<abbr title="https://x.example/">x</abbr>`},
		{"image source", `<img src="https://example.com/logo.png">`},
		{"comment", `<!-- <a href="https://example.com/">x</a> -->`},
		{"script", `<script>var s = '<a href="https://example.com/">';</script>`},
		{"style", `<style>a[href="https://example.com/"] { color: red }</style>`},
		{"textarea", `<textarea><a href="https://example.com/">x</a></textarea>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Message{ID: testID, UnsubscribeURL: unsub}
			if got := tr.Rewrite(tt.html, m); got != tt.html {
				t.Errorf("Rewrite changed\n%s\ninto\n%s", tt.html, got)
			}
			if links := tr.CollectLinks(tt.html, "", unsub); len(links) != 0 {
				t.Errorf("CollectLinks = %q, want none", links)
			}
		})
	}
}

func TestRewriteOddMarkup(t *testing.T) {
	tr := newTestTracker(t)
	tests := []struct{ name, html, raw, target string }{
		{"href last", `<a class="b" target="_blank" href="https://example.com/x">x</a>`,
			`https://example.com/x`, "https://example.com/x"},
		{"upper case", `<A HREF="HTTPS://Example.com/X">x</A>`, `HTTPS://Example.com/X`, "HTTPS://Example.com/X"},
		{"unquoted", `<a href=https://example.com/x?a=1&amp;b=2>x</a>`,
			`https://example.com/x?a=1&amp;b=2`, "https://example.com/x?a=1&b=2"},
		{"single quotes", `<a href='https://example.com/"q"'>x</a>`, `https://example.com/"q"`, `https://example.com/"q"`},
		{"spaces around =", "<a href \n = \"https://example.com/x\">x</a>", "https://example.com/x", "https://example.com/x"},
		{"area", `<map><area shape="rect" coords="0,0,1,1" href="https://example.com/area"></map>`,
			"https://example.com/area", "https://example.com/area"},
		{"self-closing", `<a href="https://example.com/x"/>`, "https://example.com/x", "https://example.com/x"},
		{"slash before attribute", `<a/href="https://example.com/x">x</a>`, "https://example.com/x", "https://example.com/x"},
		{"line break in value", "<a href=\" https://example.com/a\n/b \">x</a>", " https://example.com/a\n/b ",
			"https://example.com/a/b"},
		{"entity decoded once", `<a href="https://example.com/?q=a&amp;amp;b">x</a>`,
			"https://example.com/?q=a&amp;amp;b", "https://example.com/?q=a&amp;b"},
		{"legacy entity before =", `<a href="https://example.com/?a=1&copy=2&not=3&reg">x</a>`,
			"https://example.com/?a=1&copy=2&not=3&reg", "https://example.com/?a=1&copy=2&not=3®"},
		{"numeric entity", `<a href="https://example.com/?a&#x3D;1&#38;b">x</a>`,
			"https://example.com/?a&#x3D;1&#38;b", "https://example.com/?a=1&b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tr.Rewrite(tt.html, Message{ID: testID})
			got := targetsOf(t, tr, out, nil)
			if len(got) != 1 || got[0] != tt.target {
				t.Fatalf("targets = %q, want [%q]\n%s", got, tt.target, out)
			}
			click := tr.ClickURL(Message{ID: testID}, tt.target)
			if want := strings.Replace(tt.html, tt.raw, click, 1); out != want {
				t.Errorf("got  %s\nwant %s", out, want)
			}
		})
	}
}

func TestRewriteDuplicateHrefUsesFirst(t *testing.T) {
	tr := newTestTracker(t)
	out := tr.Rewrite(`<a href="https://example.com/1" href="https://example.com/2">x</a>`, Message{ID: testID})
	if got := targetsOf(t, tr, out, nil); len(got) != 1 || got[0] != "https://example.com/1" {
		t.Errorf("targets = %q in %s", got, out)
	}
	if !strings.Contains(out, `href="https://example.com/2"`) {
		t.Errorf("second href changed: %s", out)
	}
}

func TestRewriteIsIdempotent(t *testing.T) {
	tr := newTestTracker(t)
	m := Message{ID: testID}
	once := tr.Rewrite(readCase(t, "d01.html"), m)
	if twice := tr.Rewrite(once, m); twice != once {
		t.Errorf("second Rewrite changed the HTML:\n%s\n%s", once, twice)
	}
}

func TestSharedPrefixLinksKeptApart(t *testing.T) {
	tr := newTestTracker(t)
	targets := []string{
		"https://example.com/a", "https://example.com/ab", "https://example.com/a?x=1",
		"https://example.com/a?x=10", "https://example.com/a#f", "https://example.com/a/",
	}
	var html, text strings.Builder
	for _, u := range targets {
		html.WriteString(`<a href="` + u + `">x</a>` + "\n")
		text.WriteString(u + "\n")
	}
	links := NewLinks(tr.CollectLinks(html.String(), text.String(), ""))
	if links.Len() != len(targets) {
		t.Fatalf("CollectLinks found %d distinct links, want %d", links.Len(), len(targets))
	}
	for _, l := range []*Links{nil, links} {
		m := Message{ID: testID, Links: l}
		for _, out := range []string{tr.Rewrite(html.String(), m), tr.RewriteText(text.String(), m)} {
			got := targetsOf(t, tr, out, l)
			if strings.Join(got, " ") != strings.Join(targets, " ") {
				t.Errorf("targets = %q, want %q", got, targets)
			}
		}
	}
}

func TestCollectLinksOrderAndDedup(t *testing.T) {
	tr := newTestTracker(t)
	html := `<a href="https://b.example/">b</a><a href="https://a.example/">a</a><a href="https://b.example/">b</a>`
	got := tr.CollectLinks(html, "see https://c.example/ and https://a.example/", "")
	want := []string{"https://b.example/", "https://a.example/", "https://c.example/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("CollectLinks = %q, want %q", got, want)
	}
}
