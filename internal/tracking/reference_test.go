package tracking

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// This file contains plain reference versions of the text URL scanner and
// the click token builder, and checks that the optimised code gives the
// same results. Click URLs in mail already sent must keep working, so any
// difference is a bug.

// referenceIndexHTTP is the byte-by-byte indexHTTP.
func referenceIndexHTTP(s string) int {
	for i := 0; i+len("http://") <= len(s); i++ {
		c := s[i]
		if c != 'h' && c != 'H' {
			continue
		}
		if !hasPrefixFold(s[i:], "http://") && !hasPrefixFold(s[i:], "https://") {
			continue
		}
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(s[:i]); isWordRune(r) {
				continue
			}
		}
		return i
	}
	return -1
}

// referenceURLEnd is urlEnd decoding every rune.
func referenceURLEnd(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' || r == '"' || unicode.IsSpace(r) {
			break
		}
		n += size
	}
	var surplus [3]int // ) ] }
	for i := 0; i < n; i++ {
		if k := strings.IndexByte("([{)]}", s[i]); k >= 0 {
			if k < 3 {
				surplus[k]--
			} else {
				surplus[k-3]++
			}
		}
	}
	for n > 0 {
		c := s[n-1]
		if strings.IndexByte(".,;:!?'*", c) >= 0 {
			n--
			continue
		}
		if r, size := utf8.DecodeLastRuneInString(s[:n]); r >= utf8.RuneSelf && unicode.IsPunct(r) {
			n -= size
			continue
		}
		k := strings.IndexByte(")]}", c)
		if k < 0 || surplus[k] <= 0 {
			return n
		}
		surplus[k]--
		n--
	}
	return n
}

// referenceTextLinks is eachTextLink with the reference scanner.
func referenceTextLinks(tr *Tracker, src, unsubscribeURL string) []linkVisit {
	var out []linkVisit
	for i := 0; i < len(src); {
		j := referenceIndexHTTP(src[i:])
		if j < 0 {
			break
		}
		start := i + j
		end := start + referenceURLEnd(src[start:])
		target := src[start:end]
		i = end
		if !isWebURL(target) || target == unsubscribeURL || tr.isOwnURL(target) {
			continue
		}
		out = append(out, linkVisit{start, end, target})
	}
	return out
}

// referenceClickURL builds a click URL from strings, with the base64
// package and Signer.MAC.
func referenceClickURL(tr *Tracker, m Message, target string) string {
	c := strconv.FormatInt(m.ID.CampaignID, 10)
	s := strconv.FormatInt(m.ID.SubscriberID, 10)
	var field string
	if i, ok := m.Links.Index(target); ok {
		field = strconv.Itoa(i)
	} else {
		for _, scheme := range inlineSchemes {
			if strings.HasPrefix(target, scheme.prefix) {
				field = string(scheme.mark) + inline.EncodeToString([]byte(target[len(scheme.prefix):]))
				break
			}
		}
	}
	token := c + "." + s + "." + field + "." + tr.signer.MAC(clickMACLabel, c, s, field)
	return tr.base + ClickPath + token
}

// referenceRewriteText is RewriteText with the reference scanner and token
// builder.
func referenceRewriteText(tr *Tracker, text string, m Message) string {
	var b strings.Builder
	last := 0
	for _, v := range referenceTextLinks(tr, text, m.UnsubscribeURL) {
		b.WriteString(text[last:v.start])
		b.WriteString(referenceClickURL(tr, m, v.target))
		last = v.end
	}
	b.WriteString(text[last:])
	return b.String()
}

func checkTextMatchesReference(t *testing.T, tr *Tracker, text string) {
	t.Helper()
	const unsubscribeURL = "https://x.example/unsubscribe"
	var got []linkVisit
	tr.eachTextLink(text, unsubscribeURL, func(start, end int, target string) {
		got = append(got, linkVisit{start, end, target})
	})
	if want := referenceTextLinks(tr, text, unsubscribeURL); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("links differ for %q\ngot:       %v\nreference: %v", text, got, want)
	}
	m := Message{ID: testID, UnsubscribeURL: unsubscribeURL}
	if got, want := tr.RewriteText(text, m), referenceRewriteText(tr, text, m); got != want {
		t.Fatalf("RewriteText differs for %q\ngot:       %q\nreference: %q", text, got, want)
	}
}

var hostileText = []string{
	"", "h", "http://", "https://", "http:// x", "https://x", "HTTPS://X.EXAMPLE/A", "hTtP://x.example/",
	"xhttps://x.example/ https://y.example/", "_http://x.example/", "-https://x.example/", ".http://x.example/",
	"+http://x.example/", "9http://x.example/", "éhttp://x.example/", "\xffhttp://x.example/", "\xc3http://x.example/",
	"httphttps://x.example/", "hhttp://x.example/", "https:/x.example/ http:x", "https:://x.example/",
	"https://x.example/https://y.example/", "https://x.example/.https://y.example/",
	"https://x.example/a).", "(https://x.example/a)", "[https://x.example/a]]", "{https://x.example/{a}}}",
	"https://x.example/a.,;:!?'*", "https://x.example/)(", "https://x.example/。」", "https://x.example/a\u00a0b",
	"https://x.example/a\u0085b", "https://x.example/a\u2003b", "https://x.example/a\x7fb", "https://x.example/a\x00b",
	"https://x.example/a\tb", "https://x.example/a\vb", "https://x.example/a<b>c\"d", "https://x.example/\xff\xfe",
	"https://x.example/\xe3\x80", "https://x.example/a\xe3\x80\x82", "https://x.example/unsubscribe",
	"https://x.example/unsubscribe.", testBase + "/t/c/1.2.3.abc", testBase + "/u/x", "https://ſx.example/",
	"httpſ://x.example/", "http\u212a://x.example/", "a https://x.example/ b http://y.example/c?d=1&e=2#f\n",
	"https://x.example/" + strings.Repeat("a", 300), "see:https://x.example/", "https://x.example/(a",
}

func TestTextMatchesReference(t *testing.T) {
	tr := newTestTracker(t)
	for _, text := range hostileText {
		checkTextMatchesReference(t, tr, text)
	}
}

var textPieces = []string{
	"http", "https", "HTTP", "://", ":", "/", "//", "h", "s", "x", "a", " ", "\n", ".", ",", ")", "(", "]", "[",
	"}", "{", "'", "*", "!", "?", "<", ">", `"`, "-", "_", "+", "9", "é", "。", "」", "\u00a0", "\u2003",
	"\xff", "\xe3\x80", "\x00", "\x7f", "https://x.example/", "http://y.example/a?b=1&c=2", "x.example",
}

func TestTextRandomMatchesReference(t *testing.T) {
	tr := newTestTracker(t)
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	r := rand.New(rand.NewPCG(3, 5))
	var b strings.Builder
	for range n {
		b.Reset()
		for range 1 + r.IntN(16) {
			b.WriteString(textPieces[r.IntN(len(textPieces))])
		}
		checkTextMatchesReference(t, tr, b.String())
	}
}

func TestClickURLMatchesReference(t *testing.T) {
	tr := newTestTracker(t)
	targets := []string{
		"https://x.example/", "http://x.example/", "HTTPS://X.EXAMPLE/", "https://x.example/café?a=1&b=2#f",
		"https://x.example/a", "https://x.example/ab", "https://x.example/abc", "http://", "ftp://x", "",
	}
	r := rand.New(rand.NewPCG(5, 8))
	for range 500 {
		b := make([]byte, r.IntN(120))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		targets = append(targets, "https://"+string(b), string(b))
	}
	links := NewLinks(targets[:4])
	for _, id := range []struct{ c, s int64 }{{12, 345}, {1, 1}, {9223372036854775807, 100}} {
		for _, l := range []*Links{nil, links} {
			m := Message{ID: testID, Links: l}
			m.ID.CampaignID, m.ID.SubscriberID = id.c, id.s
			for _, target := range targets {
				if got, want := tr.ClickURL(m, target), referenceClickURL(tr, m, target); got != want {
					t.Fatalf("ClickURL(%+v, %q) = %q, want %q", m.ID, target, got, want)
				}
			}
		}
	}
}

func TestAppendBase64URLMatchesEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 9))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		if got, want := string(appendBase64URL([]byte("p"), string(b))), "p"+inline.EncodeToString(b); got != want {
			t.Fatalf("appendBase64URL of %d bytes = %q, want %q", n, got, want)
		}
	}
}

func TestRewriteAllocations(t *testing.T) {
	tr := newTestTracker(t)
	html := readCase(t, "d01.html")
	text := "see https://x.example/a and http://y.example/b?c=1"
	m := Message{ID: testID}
	dst := tr.AppendRewrite(nil, html, m)
	dst = tr.AppendRewriteText(dst, text, m)
	// The hrefs of d01.html contain "&amp;", so their decoded targets are
	// new strings: three of the four links.
	if n := testing.AllocsPerRun(50, func() { dst = tr.AppendRewrite(dst[:0], html, m) }); n > 3 {
		t.Errorf("AppendRewrite made %v allocations, want at most 3", n)
	}
	if n := testing.AllocsPerRun(50, func() { dst = tr.AppendRewriteText(dst[:0], text, m) }); n != 0 {
		t.Errorf("AppendRewriteText made %v allocations, want 0", n)
	}
}

// FuzzRewriteTextMatchesReference checks RewriteText against the scanner
// and token builder it replaced.
func FuzzRewriteTextMatchesReference(f *testing.F) {
	for _, text := range hostileText {
		f.Add(text)
	}
	tr := newTestTracker(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkTextMatchesReference(t, tr, text)
	})
}
