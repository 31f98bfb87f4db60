package tracking

import (
	"strings"

	"golang.org/x/net/html"
)

// NoTrackAttr marks a link that click tracking must leave alone:
// <a href="..." data-pacer-notrack>.
const NoTrackAttr = "data-pacer-notrack"

// Rewrite returns html with the target of every http and https link (the
// href of <a> and <area>) replaced by its click tracking URL. Only those
// attribute values change; every other byte of the markup stays as it was.
// Links to other schemes (mailto:, tel:, sms:, cid:, data:, ...), in-page
// links, links equal to m.UnsubscribeURL, links marked with the
// data-pacer-notrack attribute and links already pointing at this tracker
// are left alone.
func (t *Tracker) Rewrite(html string, m Message) string {
	return string(t.AppendRewrite(make([]byte, 0, len(html)+len(html)/4), html, m))
}

// AppendRewrite appends the result of [Tracker.Rewrite] to dst.
func (t *Tracker) AppendRewrite(dst []byte, html string, m Message) []byte {
	ids := newMessageIDs(m.ID)
	last := 0
	t.eachHTMLLink(html, m.UnsubscribeURL, func(start, end int, target string) {
		dst = append(dst, html[last:start]...)
		dst = t.appendClickURL(dst, &ids, m.Links, target)
		last = end
	})
	return append(dst, html[last:]...)
}

// eachHTMLLink calls visit for every link of src that click tracking
// rewrites, with the byte range of its href value in src and its target.
//
// scanHTMLLinks finds the links. Where it meets markup whose tokenization it
// does not model, it returns that position and tokenizeHTMLLinks takes over
// for the rest of src, so the links found are always those of the tokenizer.
//
// NOTE: links inside Outlook's conditional comments, such as the href of a
// <v:roundrect> button in <!--[if mso]>, are comments to the tokenizer and
// stay untracked.
func (t *Tracker) eachHTMLLink(src, unsubscribeURL string, visit func(start, end int, target string)) {
	if rest := t.scanHTMLLinks(src, unsubscribeURL, visit); rest >= 0 {
		t.tokenizeHTMLLinks(src, rest, unsubscribeURL, visit)
	}
}

// tokenizeHTMLLinks does what eachHTMLLink does for src[from:], where from
// is a position at which the tokenizer is between tokens and outside raw
// text.
//
// The tokenizer finds the tags, so comments, <script>, <style> and odd
// formatting are handled as browsers do. It reports attribute values
// decoded but not where they are, so attrSpan locates the href in the
// tag's raw bytes by repeating the tokenizer's attribute scan.
func (t *Tracker) tokenizeHTMLLinks(src string, from int, unsubscribeURL string, visit func(start, end int, target string)) {
	z := html.NewTokenizer(strings.NewReader(src[from:]))
	pos := from
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		raw := z.Raw() // before any other call, which may change it
		start := pos
		pos += len(raw)
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken || !isLinkTag(raw) {
			continue
		}
		if pos > len(src) || src[start:pos] != string(raw) {
			return // the tokens stopped lining up with src: rewrite nothing more
		}
		tag := src[start:pos]
		href, ok := linkHref(z)
		if !ok {
			continue
		}
		target, ok := t.trackable(href, unsubscribeURL)
		if !ok {
			continue
		}
		if vs, ve, ok := attrSpan(tag, "href"); ok {
			visit(start+vs, start+ve, target)
		}
	}
}

// isLinkTag reports whether a raw start tag is <a> or <area>.
func isLinkTag(raw []byte) bool {
	n := 1
	for n < len(raw) && !isNameEnd(raw[n]) {
		n++
	}
	name := raw[1:n]
	return len(name) == 1 && (name[0] == 'a' || name[0] == 'A') ||
		len(name) == 4 && strings.EqualFold(string(name), "area")
}

// linkHref returns the decoded href of the current tag, and false when it
// has none or carries the data-pacer-notrack attribute.
func linkHref(z *html.Tokenizer) (string, bool) {
	var href []byte
	found := false
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "href":
			href, found = v, true
		case NoTrackAttr:
			return "", false
		}
	}
	return string(href), found
}

// trackable returns the target of an href that click tracking rewrites.
func (t *Tracker) trackable(href, unsubscribeURL string) (string, bool) {
	target := cleanURL(href)
	if !isWebURL(target) || t.isOwnURL(target) {
		return "", false
	}
	if unsubscribeURL != "" && (target == unsubscribeURL || href == unsubscribeURL) {
		return "", false
	}
	return target, true
}

// cleanURL does what a browser does to an href before parsing it: it trims
// leading and trailing spaces and control characters and removes tabs and
// line breaks inside.
func cleanURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// isWebURL reports whether u is an absolute http or https URL.
func isWebURL(u string) bool {
	return hasPrefixFold(u, "https://") && len(u) > len("https://") ||
		hasPrefixFold(u, "http://") && len(u) > len("http://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// attrSpan finds the value of the first attribute called name (ASCII case
// insensitive) in a raw start tag and returns its byte range, without the
// quotes. It scans as golang.org/x/net/html's tokenizer does, which follows
// the WHATWG tag and attribute states.
func attrSpan(tag, name string) (start, end int, ok bool) {
	i := 1 // after '<'
	for i < len(tag) && !isNameEnd(tag[i]) {
		i++
	}
	for {
		i = skipSpace(tag, i)
		if i >= len(tag) || tag[i] == '>' {
			return 0, 0, false
		}
		// Attribute name: an '=' in first place belongs to the name.
		ks := i
		for i < len(tag) {
			c := tag[i]
			if c == '=' && i > ks || c == '/' || c == '>' || isSpace(c) {
				break
			}
			i++
		}
		key := tag[ks:i]
		vs, ve := i, i
		i = skipSpace(tag, i)
		switch {
		case i < len(tag) && tag[i] == '/':
			i++
		case i < len(tag) && tag[i] == '=':
			i = skipSpace(tag, i+1)
			vs, ve, i = attrValue(tag, i)
		}
		if len(key) > 0 && strings.EqualFold(key, name) {
			return vs, ve, true
		}
	}
}

// attrValue scans an attribute value starting at i and returns its range and
// the position after it.
func attrValue(tag string, i int) (start, end, next int) {
	if i >= len(tag) || tag[i] == '>' {
		return i, i, i
	}
	if q := tag[i]; q == '"' || q == '\'' {
		j := strings.IndexByte(tag[i+1:], q)
		if j < 0 {
			return i + 1, len(tag), len(tag)
		}
		return i + 1, i + 1 + j, i + 2 + j
	}
	j := i
	for j < len(tag) && tag[j] != '>' && !isSpace(tag[j]) {
		j++
	}
	return i, j, j
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

func isNameEnd(c byte) bool { return isSpace(c) || c == '/' || c == '>' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}
