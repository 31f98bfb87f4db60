package tracking

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzRewrite checks on any input that Rewrite changes nothing but the
// values of tracked hrefs, and that each new value leads back to the href's
// cleaned target. It tokenizes input and output side by side.
func FuzzRewrite(f *testing.F) {
	for _, seed := range []string{
		readCase(f, "d01.html"), readCase(f, "d02.html"),
		`<a href=https://x.example/a>`, `<a href='https://x.example/"'>`, `<a/href=https://x.example/>`,
		`<a =href="https://x.example/">`, `<a href = "https://x.example/" href="https://y.example/">`,
		`<area href="http://x.example/&amp;&copy=1">`, "<a\thref\n=\n'https://x.example/\n'>",
		`<a href="https://x.example/" data-pacer-notrack>`, `<!--<a href="https://x.example/">-->`,
		`<a href="https://x.example/`, `<svg><a href="https://x.example/"></a></svg>`,
	} {
		f.Add(seed)
	}
	tr := newTestTracker(f)
	f.Fuzz(func(t *testing.T, in string) {
		out := tr.Rewrite(in, Message{ID: testID})
		zi := html.NewTokenizer(strings.NewReader(in))
		zo := html.NewTokenizer(strings.NewReader(out))
		var rawIn, rawOut strings.Builder
		for {
			ti, to := zi.Next(), zo.Next()
			if ti != to {
				t.Fatalf("token types differ: %v and %v\nin:  %q\nout: %q", ti, to, in, out)
			}
			ri, ro := string(zi.Raw()), string(zo.Raw())
			rawIn.WriteString(ri)
			rawOut.WriteString(ro)
			if ti == html.ErrorToken {
				break
			}
			if ri == ro {
				continue
			}
			if ti != html.StartTagToken && ti != html.SelfClosingTagToken {
				t.Fatalf("a %v token changed: %q -> %q", ti, ri, ro)
			}
			hrefIn, _ := linkHref(zi)
			hrefOut, _ := linkHref(zo)
			token, ok := strings.CutPrefix(hrefOut, testBase+ClickPath)
			if !ok {
				t.Fatalf("tag changed without a click URL: %q -> %q", ri, ro)
			}
			click, ok := tr.ParseClick(token)
			if !ok || click.Target != cleanURL(hrefIn) {
				t.Fatalf("href %q became %q, which leads to %q", hrefIn, hrefOut, click.Target)
			}
		}
		if rawIn.String() != in || rawOut.String() != out {
			t.Fatalf("the tokenizer's raw tokens do not make up the input %q", in)
		}
	})
}
