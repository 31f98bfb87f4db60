package render

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText returns a text/plain version of an HTML body. Tags are dropped,
// a link becomes "text (url)", entities are decoded and runs of white space
// become one space. Block elements such as paragraphs, headings, table rows
// and list items start new lines, and <pre> keeps its line breaks. The
// content of <head>, <style>, <script> and of elements hidden with
// display:none (preheaders) is left out.
func HTMLToText(src string) string {
	var b bytes.Buffer
	b.Grow(len(src) / 2)
	writeText(&b, strings.NewReader(src))
	return b.String()
}

// paragraph elements are set off by a blank line, line elements by a line
// break.
var (
	paragraphTags = tagSet("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
		"table", "ul", "ol", "dl", "hr", "figure", "address")
	lineTags = tagSet("div", "tr", "li", "dt", "dd", "section", "article", "header",
		"footer", "main", "nav", "aside", "center", "form", "fieldset", "figcaption", "caption")
	skipTags = tagSet("head", "style", "script", "title", "template", "noscript")
)

// knownTags interns the tag names the converter acts on, so that looking one
// up does not allocate.
var knownTags = map[string]string{}

func tagSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
		knownTags[n] = n
	}
	return m
}

func init() {
	for _, n := range []string{"a", "br", "img", "li", "td", "th", "span", "font", "b", "i", "u",
		"strong", "em", "small", "sup", "sub", "tbody", "thead", "body", "html"} {
		knownTags[n] = n
	}
}

func internTag(name []byte) string {
	if s, ok := knownTags[string(name)]; ok {
		return s
	}
	return string(name)
}

// writeText appends the text version of the HTML read from src to b.
func writeText(b *bytes.Buffer, src io.Reader) {
	w := textWriter{b: b, start: b.Len()}
	z := html.NewTokenizer(src)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if w.skip == 0 && w.hidden == 0 {
				w.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := z.Raw()
			// Reading attributes allocates, so read only those in use.
			styled := bytes.Contains(raw, []byte("style")) || bytes.Contains(raw, []byte("STYLE"))
			name, hasAttr := z.TagName()
			tag := internTag(name)
			hasAttr = hasAttr && (styled || tag == "a" || tag == "img")
			w.startTag(z, tag, hasAttr, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			w.endTag(internTag(name))
		}
	}
	w.finish()
}

func (w *textWriter) startTag(z *html.Tokenizer, name string, hasAttr, selfClosing bool) {
	if w.inHidden(name, selfClosing) {
		return
	}
	w.openTag(name, readAttrs(z, hasAttr), selfClosing)
}

// inHidden counts a start tag met inside a hidden element and reports
// whether the tag is inside one.
func (w *textWriter) inHidden(name string, selfClosing bool) bool {
	if w.hidden == 0 {
		return false
	}
	if name == w.hiddenAt && !selfClosing {
		w.hidden++
	}
	return true
}

// openTag acts on a start tag outside hidden elements, given the attributes
// that readAttrs returns for it.
func (w *textWriter) openTag(name string, a tagAttrs, selfClosing bool) {
	if a.hidden && !selfClosing && !isVoid(name) {
		w.hidden, w.hiddenAt = 1, name
		return
	}
	switch {
	case skipTags[name]:
		if !selfClosing {
			w.skip++
		}
	case name == "br":
		w.lineBreak()
	case name == "a":
		w.inLink, w.href, w.linkAt = true, a.href, -1
		if w.gluedURL {
			w.space = true
		}
	case name == "img":
		if w.inLink && a.alt != "" {
			w.text([]byte(a.alt))
		}
	case name == "pre":
		w.block(2)
		w.pre++
	case name == "ul" || name == "ol":
		w.block(2)
		counter := -1
		if name == "ol" {
			counter = 0
		}
		w.lists = append(w.lists, counter)
	case name == "li":
		w.block(1)
		w.bullet()
	case name == "td" || name == "th":
		w.space = true
	case paragraphTags[name]:
		w.block(2)
	case lineTags[name]:
		w.block(1)
	}
}

// tagAttrs are the attributes the converter reads.
type tagAttrs struct {
	href, alt string
	hidden    bool // hidden by its style attribute
}

func readAttrs(z *html.Tokenizer, hasAttr bool) tagAttrs {
	var a tagAttrs
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		switch string(k) {
		case "href":
			a.href = strings.TrimSpace(string(v))
		case "alt":
			a.alt = string(v)
		case "style":
			a.hidden = isHidden(v)
		}
	}
	return a
}

func (w *textWriter) endTag(name string) {
	if w.hidden > 0 {
		if name == w.hiddenAt {
			w.hidden--
		}
		return
	}
	switch {
	case skipTags[name]:
		if w.skip > 0 {
			w.skip--
		}
	case name == "a":
		w.endLink()
	case name == "pre":
		if w.pre > 0 {
			w.pre--
		}
		w.block(2)
	case name == "ul" || name == "ol":
		if len(w.lists) > 0 {
			w.lists = w.lists[:len(w.lists)-1]
		}
		w.block(2)
	case name == "td" || name == "th":
		w.space = true
	case paragraphTags[name]:
		w.block(2)
	case lineTags[name]:
		w.block(1)
	}
}

// endLink writes the target after the link text when the text does not
// already show it. In-page and script links only keep their text.
func (w *textWriter) endLink() {
	href, at := w.href, w.linkAt
	w.inLink, w.href, w.linkAt = false, "", -1
	if href == "" || href[0] == '#' || hasScheme(href, "javascript") {
		return
	}
	if at < 0 {
		w.word(href) // a link without text, such as an image without alt
		w.gluedURL = true
		return
	}
	text := bytes.TrimSpace(w.b.Bytes()[at:])
	if string(text) != href && string(text) != stripScheme(href) {
		w.space = true
		w.word("(" + href + ")")
	}
	w.gluedURL = true
}

// isHidden reports whether a style attribute hides its element.
func isHidden(style []byte) bool {
	if !bytes.Contains(style, []byte("none")) && !bytes.Contains(style, []byte("hidden")) {
		return false
	}
	s := strings.ToLower(strings.ReplaceAll(string(style), " ", ""))
	return strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden")
}

func isVoid(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

func hasScheme(u, scheme string) bool {
	return len(u) > len(scheme) && u[len(scheme)] == ':' && strings.EqualFold(u[:len(scheme)], scheme)
}

func stripScheme(u string) string {
	for _, s := range []string{"https://", "http://", "mailto:", "tel:"} {
		if len(u) > len(s) && strings.EqualFold(u[:len(s)], s) {
			return u[len(s):]
		}
	}
	return u
}
