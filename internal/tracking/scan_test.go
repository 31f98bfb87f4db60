package tracking

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// linkVisit is one call of an eachHTMLLink visit function.
type linkVisit struct {
	start, end int
	target     string
}

func (v linkVisit) String() string { return fmt.Sprintf("[%d:%d]%q", v.start, v.end, v.target) }

// scannedLinks returns the links eachHTMLLink reports, through the scanner
// and, where the scanner hands over, the tokenizer.
func scannedLinks(tr *Tracker, src, unsubscribeURL string) []linkVisit {
	var out []linkVisit
	tr.eachHTMLLink(src, unsubscribeURL, func(start, end int, target string) {
		out = append(out, linkVisit{start, end, target})
	})
	return out
}

// tokenizedLinks returns the links the tokenizer alone reports.
func tokenizedLinks(tr *Tracker, src, unsubscribeURL string) []linkVisit {
	var out []linkVisit
	tr.tokenizeHTMLLinks(src, 0, unsubscribeURL, func(start, end int, target string) {
		out = append(out, linkVisit{start, end, target})
	})
	return out
}

// tokenizedRewrite is AppendRewrite with the tokenizer alone finding links.
func tokenizedRewrite(tr *Tracker, src string, m Message) string {
	ids := newMessageIDs(m.ID)
	var dst []byte
	last := 0
	tr.tokenizeHTMLLinks(src, 0, m.UnsubscribeURL, func(start, end int, target string) {
		dst = append(dst, src[last:start]...)
		dst = tr.appendClickURL(dst, &ids, m.Links, target)
		last = end
	})
	return string(append(dst, src[last:]...))
}

// checkScanMatchesTokenizer fails t when the scanner and the tokenizer
// find different links in src or Rewrite differs from the tokenizer's
// rewrite.
func checkScanMatchesTokenizer(t *testing.T, tr *Tracker, src string) {
	t.Helper()
	const unsubscribeURL = "https://x.example/unsubscribe"
	got := scannedLinks(tr, src, unsubscribeURL)
	want := tokenizedLinks(tr, src, unsubscribeURL)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("links differ for %q\nscanner:   %v\ntokenizer: %v", src, got, want)
	}
	m := Message{ID: testID, UnsubscribeURL: unsubscribeURL}
	if got, want := tr.Rewrite(src, m), tokenizedRewrite(tr, src, m); got != want {
		t.Fatalf("Rewrite differs for %q\nscanner:   %q\ntokenizer: %q", src, got, want)
	}
}

// hostileHTML are inputs where a scanner that is not the tokenizer could
// find links the tokenizer does not, or miss links it finds.
var hostileHTML = []string{
	// Comments, including the forms that end early or late.
	`<!-- <a href="https://x.example/1"> --><a href="https://x.example/2">`,
	`<!--><a href="https://x.example/1">`,
	`<!---><a href="https://x.example/1">`,
	`<!----><a href="https://x.example/1">`,
	`<!-- -- > <a href="https://x.example/1"> --><a href="https://x.example/2">`,
	`<!-- x --!><a href="https://x.example/1">`,
	`<!-- x --!-><a href="https://x.example/1">--><a href="https://x.example/2">`,
	`<!-- x --!!><a href="https://x.example/1">--><a href="https://x.example/2">`,
	`<!-- x -!><a href="https://x.example/1">--><a href="https://x.example/2">`,
	`<!--!><a href="https://x.example/1">--><a href="https://x.example/2">`,
	`<!-- x ---><a href="https://x.example/1">`,
	`<!-- <a href="https://x.example/1">`,
	`<!--`, `<!-`, `<!`, `<!-->`, `<!--->`, `<!-- -`, `<!-- --`, `<!-- --!`,
	`<!--[if mso]><a href="https://x.example/1">x</a><![endif]--><a href="https://x.example/2">`,
	`<!--[if !mso]><!--><a href="https://x.example/1">x</a><!--<![endif]-->`,
	// Doctypes, bogus comments and CDATA, which is a bogus comment to a
	// tokenizer that has not called AllowCDATA.
	`<!DOCTYPE html><a href="https://x.example/1">`,
	`<!doctype html <a href="https://x.example/1">><a href="https://x.example/2">`,
	`<!DOCTYPE`, `<!DOCTYP`, `<!DOCTYPE `, `<!x <a href="https://x.example/1">`,
	`<![CDATA[<a href="https://x.example/1">]]><a href="https://x.example/2">`,
	`<![CDATA[ x ]]> <a href="https://x.example/1">`,
	`<?xml version="1.0"?><a href="https://x.example/1">`,
	`<? <a href="https://x.example/1"> ?>`, `<?`, `<!>`, `<!>x<a href=https://x.example/1>`,
	`</><a href="https://x.example/1">`, `</ <a href="https://x.example/1">>`, `</`,
	`</a href=">"><a href="https://x.example/1">`, `</p title='>'<a href="https://x.example/1">'>`,
	`</a`, `</3 <a href=https://x.example/1>`,
	// Raw text elements.
	`<script><a href="https://x.example/1"></script><a href="https://x.example/2">`,
	`<SCRIPT>x</script ><a href="https://x.example/1">`,
	`<script>x</scriptx><a href="https://x.example/1"></script/><a href="https://x.example/2">`,
	`<script>x</scrip><a href="https://x.example/1">`,
	`<script>x</script`,
	`<script>x</SCRIPT>`,
	`<script/><a href="https://x.example/1"></script><a href="https://x.example/2">`,
	`<script><!-- <a href="https://x.example/1"> </script><a href="https://x.example/2">`,
	`<script><!--<script></script><a href="https://x.example/1"></script><a href="https://x.example/2">`,
	`<script><!--<script>--></script><a href="https://x.example/1">`,
	`<script><!- x </script><a href="https://x.example/1">`,
	`<script><!--</script><a href="https://x.example/1">`,
	`<a href="https://x.example/0"><script><!--</script><a href="https://x.example/1">`,
	`<style>a[href="https://x.example/1"] {}</style><a href="https://x.example/2">`,
	`<style><!--</style><a href="https://x.example/1">-->`,
	`<StYlE>x</sTyLe><a href="https://x.example/1">`,
	`<style>x</style`, `<style>`, `<style></style><a href=https://x.example/1>`,
	`<textarea><a href="https://x.example/1"></textarea><a href="https://x.example/2">`,
	`<title><a href="https://x.example/1"></title><a href="https://x.example/2">`,
	`<xmp><a href="https://x.example/1"></xmp><a href="https://x.example/2">`,
	`<iframe><a href="https://x.example/1"></iframe><a href="https://x.example/2">`,
	`<noembed><a href="https://x.example/1"></noembed><a href="https://x.example/2">`,
	`<noframes><a href="https://x.example/1"></noframes><a href="https://x.example/2">`,
	`<noscript><a href="https://x.example/1"></noscript><a href="https://x.example/2">`,
	`<plaintext><a href="https://x.example/1"></plaintext><a href="https://x.example/2">`,
	`<scripts><a href="https://x.example/1">`, `<script-x><a href="https://x.example/1">`,
	`<xmp title="</xmp>"><a href="https://x.example/1"></xmp>`,
	`<textarea></textarea title=">"><a href="https://x.example/1">`,
	`<svg><style><a href="https://x.example/1"></style></svg>`,
	// Tag names and attribute syntax.
	`<A HREF="https://x.example/1">`, `<AREA HREF=https://x.example/1>`, `<aRea hReF=https://x.example/1>`,
	`<abbr href="https://x.example/1">`, `<a2 href="https://x.example/1">`, `<a:b href="https://x.example/1">`,
	`<a href=https://x.example/1>`, `<a href='https://x.example/1'>`, `<a href = 'https://x.example/1' >`,
	`<a href=https://x.example/1/>`, `<a href="https://x.example/1"/>`, `<a/href=https://x.example/1>`,
	`<a href="https://x.example/1" href="https://x.example/2">`,
	`<a hreff="https://x.example/1" href="https://x.example/2">`,
	`<a xhref="https://x.example/1">`, `<a =href="https://x.example/1">`, `<a href=="https://x.example/1">`,
	`<a href= >https://x.example/1>`, `<a href=>https://x.example/1>`, `<a href`, `<a href=`, `<a href="`,
	`<a href="https://x.example/1`, `<a href='https://x.example/1"`, `<a href=https://x.example/1`,
	`<a href="https://x.example/1>"<a href="https://x.example/2">`,
	`<a title=">" href="https://x.example/1">`, `<a title='>' href="https://x.example/1">`,
	`<a title=a"b href="https://x.example/1">`, `<a title=a'b' href="https://x.example/1">`,
	`<a title = "x"href="https://x.example/1">`, `<a"title"=x href="https://x.example/1">`,
	`<a / href="https://x.example/1">`, `<a href / = "https://x.example/1">`, `<a href/="https://x.example/1">`,
	`<a href="https://x.example/1" data-pacer-notrack>`, `<a data-pacer-notrack href="https://x.example/1">`,
	`<a href="https://x.example/1" DATA-Pacer-NoTrack="">`, "<a href=\"https://x.example/1\" data-pacer-notrac\u212a>",
	`<a href="https://x.example/1" data-pacer-notrack2>`, `<a href="https://x.example/1" data-pacer-notrack=no>`,
	"<a\thref\n=\r'https://x.example/1'\f>", "<a\fhref=https://x.example/1>", "<a\vhref=https://x.example/1>",
	`<a href="https://x.example/unsubscribe">`, `<a href=" https://x.example/unsubscribe ">`,
	`<a href="` + testBase + `/t/c/1.2.3.abc">`, `<a href="HTTPS://X.EXAMPLE/1">`, `<a href="https://">`,
	`<a href="javascript:x">`, `<a href="//x.example/1">`, `<a href="mailto:a@x.example">`,
	`<a <a href="https://x.example/1">`, `<<a href="https://x.example/1">`, `< a href="https://x.example/1">`,
	`<3 <a href="https://x.example/1">`, `<a><a href="https://x.example/1">`,
	// Entities, white space and control characters in href.
	`<a href="https://x.example/?a=1&amp;b=2">`, `<a href="https://x.example/?a=1&AMP;b=2">`,
	`<a href="https://x.example/?a=1&b=2">`, `<a href="https://x.example/?a&copy=1&copy;&not&notin;&notit;">`,
	`<a href="https://x.example/?&#38;&#x26;&#X26;&#0;&#xD800;&#1114112;&#128;">`,
	`<a href="&#104;ttps://x.example/1">`, `<a href="https&colon;//x.example/1">`, `<a href=https://x.example/&amp>`,
	`<a href="https://x.example/&amp;amp;">`, `<a href="https://x.example/&amp">`, `<a href="https://x.example/&">`,
	`<a href="https://x.example/&lt;&gt;&quot;&apos;&nbsp;">`, `<a href="https://x.example/&amp;&">`,
	"<a href=\"https://x.example/\r\n1\">", "<a href=\"https://x.example/\r1\">", "<a href=\" \r\nhttps://x.example/1\">",
	"<a href=\"https://x.example/\x001\">", "<a href=\"\x00https://x.example/1\">", "<a hr\x00ef=\"https://x.example/1\">",
	"<a\x00 href=\"https://x.example/1\">", "<\x00a href=\"https://x.example/1\">", "<a href=\"https://x.example/\t1\n\">",
	"<a href=\"\x01https://x.example/1\x7f\">",
	// Malformed UTF-8 and non-ASCII.
	"<a href=\"https://x.example/\xff\xfe\">", "<a\xff href=\"https://x.example/1\">", "\xff<a href=\"https://x.example/1\">",
	"<a href=\"https://x.example/caf\xc3\xa9\">", "<\xc3\xa9 href=\"https://x.example/1\">",
	"<a href=\"https://x.example/1\" \xe2\x80\x8b>", "<script>\xff</script\xff><a href=https://x.example/1>",
}

func TestScanMatchesTokenizer(t *testing.T) {
	tr := newTestTracker(t)
	for _, src := range hostileHTML {
		checkScanMatchesTokenizer(t, tr, src)
	}
}

func TestScanMatchesTokenizerOnFiles(t *testing.T) {
	tr := newTestTracker(t)
	files := []string{"testdata/d01.html", "testdata/d02.html", "../render/testdata/newsletter.html"}
	corpus, err := filepath.Glob("testdata/fuzz/FuzzScanMatchesTokenizer/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(files, corpus...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			checkScanMatchesTokenizer(t, tr, string(b))
		})
	}
}

// The scanner must find the links of the render package's newsletter
// template itself, without handing over to the tokenizer.
func TestScanNewsletterWithoutTokenizer(t *testing.T) {
	tr := newTestTracker(t)
	b, err := os.ReadFile("../render/testdata/newsletter.html")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	n := 0
	if rest := tr.scanHTMLLinks(src, "", func(int, int, string) { n++ }); rest != -1 {
		t.Errorf("scanHTMLLinks handed over at %d: %q", rest, src[rest:min(rest+40, len(src))])
	}
	if want := len(tokenizedLinks(tr, src, "")); n != want || n == 0 {
		t.Errorf("scanner found %d links, tokenizer %d", n, want)
	}
}

// A <script> with "<!--" is left to the tokenizer from its start tag on,
// and links before it are reported once.
func TestScanHandsOverEscapedScript(t *testing.T) {
	tr := newTestTracker(t)
	src := `<a href="https://x.example/0"><p><script>a<!--b</script><a href="https://x.example/1">`
	var visited []string
	rest := tr.scanHTMLLinks(src, "", func(_, _ int, target string) { visited = append(visited, target) })
	if want := strings.Index(src, "<script>"); rest != want {
		t.Errorf("scanHTMLLinks returned %d, want %d", rest, want)
	}
	if len(visited) != 1 || visited[0] != "https://x.example/0" {
		t.Errorf("scanner visited %q before handing over", visited)
	}
	checkScanMatchesTokenizer(t, tr, src)
}

// Every short string over the bytes that drive comments, followed by a
// link, must end the comment where the tokenizer does.
func TestScanCommentsExhaustive(t *testing.T) {
	tr := newTestTracker(t)
	maxLen := 8
	if testing.Short() {
		maxLen = 5
	}
	eachString("-!>x", maxLen, func(s string) {
		checkScanMatchesTokenizer(t, tr, "<!--"+s+`<a href="https://x.example/1">-->`)
	})
}

// Every short string over the bytes that drive tags, followed by a link,
// must end the tag where the tokenizer does.
func TestScanTagsExhaustive(t *testing.T) {
	tr := newTestTracker(t)
	maxLen := 5
	if testing.Short() {
		maxLen = 3
	}
	eachString(`a/="'> `, maxLen, func(s string) {
		checkScanMatchesTokenizer(t, tr, "<a"+s+` <a href="https://x.example/1">'">`)
		checkScanMatchesTokenizer(t, tr, "</a"+s+` <a href="https://x.example/1">'">`)
	})
}

// eachString calls f with every string of up to maxLen bytes from alphabet.
func eachString(alphabet string, maxLen int, f func(string)) {
	buf := make([]byte, 0, maxLen)
	var walk func()
	walk = func() {
		f(string(buf))
		if len(buf) == maxLen {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			buf = append(buf, alphabet[i])
			walk()
			buf = buf[:len(buf)-1]
		}
	}
	walk()
}

// htmlPieces are the fragments TestScanRandomDocuments joins into
// documents. Joined at random, they open and close comments, raw text,
// quotes and tags in overlapping orders.
var htmlPieces = []string{
	"<", ">", "/", "!", "?", "-", "--", "=", `"`, "'", " ", "\n", "\r", "\x00", "\xff", "x", "a", "A",
	"<a", "<A ", "<area ", "</a>", "</", "<!", "<!--", "-->", "--!>", "<!-->", "<!--->", "<?", "<!DOCTYPE ",
	"<![CDATA[", "]]>", "<script>", "</script>", "</SCRIPT ", "<script/>", "<style>", "</style>", "<title>",
	"</title>", "<textarea>", "</textarea>", "<xmp>", "</xmp>", "<plaintext>", "<noscript>", "</noscript>",
	"href", "HREF", "href=", `href="`, "href='", "data-pacer-notrack", "title=", "https://x.example/",
	"http://x.example/a?b=1", "&amp;", "&", "&copy", "&#38;", "&lt;", ";", "mailto:x@x.example",
	`<a href="https://x.example/1">`, "<a href=https://x.example/2>", "<a href='https://x.example/3'>",
}

func TestScanRandomDocuments(t *testing.T) {
	tr := newTestTracker(t)
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	for range n {
		b.Reset()
		for range 1 + r.IntN(24) {
			b.WriteString(htmlPieces[r.IntN(len(htmlPieces))])
		}
		checkScanMatchesTokenizer(t, tr, b.String())
	}
}

func TestDecodeAttrValue(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://x.example/", "https://x.example/", true},
		{"", "", true},
		{"a&amp;b&amp;amp;c", "a&b&amp;c", true},
		{"&amp;", "&", true},
		{"a&b", "", false},
		{"a&amp", "", false},
		{"a&AMP;b", "", false},
		{"a&amp;b&", "", false},
		{"a\rb", "", false},
		{"a\x00b", "", false},
	}
	for _, tt := range tests {
		got, ok := decodeAttrValue(tt.in)
		if ok != tt.ok {
			t.Errorf("decodeAttrValue(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
		if ok && got != tt.want {
			t.Errorf("decodeAttrValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzScanMatchesTokenizer checks that the scanner finds the links the
// tokenizer finds, at the same byte ranges and with the same targets. Its
// corpus in testdata/fuzz starts with FuzzRewrite's generated inputs.
func FuzzScanMatchesTokenizer(f *testing.F) {
	for _, name := range []string{"d01.html", "d02.html"} {
		f.Add(readCase(f, name))
	}
	for _, src := range hostileHTML {
		f.Add(src)
	}
	tr := newTestTracker(f)
	f.Fuzz(func(t *testing.T, src string) {
		checkScanMatchesTokenizer(t, tr, src)
	})
}
