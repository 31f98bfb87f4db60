package tracking

import (
	"strings"

	"golang.org/x/net/html"
)

// scanHTMLLinks calls visit for the links of src that tokenizeHTMLLinks
// would report, in the same order and with the same ranges and targets,
// without running the tokenizer. It jumps from one '<' to the next and
// applies the rules of the golang.org/x/net/html v0.63.0 tokenizer to
// start and end tags and their quoted values, comments (including <!--> and
// <!--->), doctypes, bogus comments such as <!x>, <?x> and </ x>, and the
// raw text of <script>, <style>, <textarea>, <title>, <xmp>, <iframe>,
// <noembed>, <noframes>, <noscript> and <plaintext>.
//
// It returns -1 when it has scanned all of src. It returns the start of a
// <script> element when the script contains "<!--", because the tokenizer's
// escaped script states then decide where the script ends, and the caller
// tokenizes src from there on.
//
// NOTE: the scanner repeats the tokenizer's rules and does not follow
// changes to them. After updating golang.org/x/net, run
// FuzzScanMatchesTokenizer, which compares the two.
func (t *Tracker) scanHTMLLinks(src, unsubscribeURL string, visit func(start, end int, target string)) int {
	pos := 0
	for {
		i := strings.IndexByte(src[pos:], '<')
		if i < 0 {
			return -1
		}
		open := pos + i
		if open+1 >= len(src) {
			return -1
		}
		c := src[open+1]
		switch {
		case isASCIILetter(c):
			nameEnd, end := scanTag(src, open+1)
			if end < 0 {
				// The tokenizer reports an error for a tag cut off by the
				// end of input and stops.
				return -1
			}
			name := src[open+1 : nameEnd]
			if isLinkName(name) {
				t.visitTagLink(src, open, end, unsubscribeURL, visit)
			}
			pos = end
			element := rawTextElement(name)
			switch element {
			case "":
			case "plaintext":
				return -1 // everything after <plaintext> is text
			default:
				// The raw text ends before the first matching end tag.
				// Without one it runs to the end of input.
				rawEnd := rawTextEnd(src, end, element)
				if rawEnd < 0 {
					return -1
				}
				if element == "script" && strings.Contains(src[end:rawEnd], "<!--") {
					return open
				}
				pos = rawEnd
			}
		case c == '/':
			end := endTagEnd(src, open)
			if end < 0 {
				return -1
			}
			pos = end
		case c == '!':
			// The tokenizer reads two bytes after "<!" and makes a comment
			// up to the end of input when they are missing.
			if open+3 >= len(src) {
				return -1
			}
			var end int
			if src[open+2] == '-' && src[open+3] == '-' {
				end = commentEnd(src, open+4)
			} else {
				// A doctype or a bogus comment, such as <![CDATA[...]]>,
				// ends at the first '>'.
				end = closeAngleEnd(src, open+2)
			}
			if end < 0 {
				return -1
			}
			pos = end
		case c == '?':
			end := closeAngleEnd(src, open+2)
			if end < 0 {
				return -1
			}
			pos = end
		default:
			// A '<' that starts no markup is text, and the next byte is
			// looked at again, as it may be '<'.
			pos = open + 1
		}
	}
}

// visitTagLink calls visit for the href of the <a> or <area> tag
// src[start:end] when click tracking rewrites it.
func (t *Tracker) visitTagLink(src string, start, end int, unsubscribeURL string, visit func(start, end int, target string)) {
	tag := src[start:end]
	valueStart, valueEnd, ok := linkHrefSpan(tag)
	if !ok {
		return
	}
	href, ok := decodeAttrValue(tag[valueStart:valueEnd])
	if !ok {
		href, ok = tokenizedHref(tag)
		if !ok {
			return
		}
	}
	target, ok := t.trackable(href, unsubscribeURL)
	if !ok {
		return
	}
	visit(start+valueStart, start+valueEnd, target)
}

// scanTag scans the start or end tag whose name begins at src[nameStart].
// It returns the end of the name and the position after the tag's closing
// '>', or -1 as that position when the input ends first. A '>' inside a
// quoted attribute value does not close the tag.
//
// It walks the attributes as nextAttr does, inlined for speed, because it
// runs on every tag.
func scanTag(src string, nameStart int) (nameEnd, end int) {
	i := nameStart
	for i < len(src) && byteClass[src[i]]&nameStop == 0 {
		i++
	}
	nameEnd = i
	for {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return nameEnd, -1
		}
		if src[i] == '>' {
			return nameEnd, i + 1
		}
		// The key. An '=' in first place belongs to it, and a '/' there
		// makes an empty key.
		if src[i] != '/' {
			i++
			for i < len(src) && byteClass[src[i]]&keyStop == 0 {
				i++
			}
		}
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return nameEnd, -1
		}
		switch src[i] {
		case '/':
			i++
			continue
		case '=':
		default:
			continue
		}
		i++
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return nameEnd, -1
		}
		switch q := src[i]; q {
		case '>':
		case '"', '\'':
			j := strings.IndexByte(src[i+1:], q)
			if j < 0 {
				return nameEnd, -1
			}
			i += j + 2
		default:
			for i < len(src) && byteClass[src[i]]&valueStop == 0 {
				i++
			}
		}
	}
}

// Classes of bytes in a tag, as bits of byteClass.
const (
	nameStop  = 1 << iota // ends a tag name: white space, '/' or '>'
	keyStop               // ends an attribute key after its first byte: also '='
	valueStop             // ends an unquoted attribute value: white space or '>'
)

var byteClass = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\r\f") {
		t[c] = nameStop | keyStop | valueStop
	}
	t['/'] = nameStop | keyStop
	t['>'] = nameStop | keyStop | valueStop
	t['='] = keyStop
	return t
}()

// endTagEnd returns the position after the markup that starts with "</" at
// src[open], or -1 when the tokenizer makes it run to the end of input.
func endTagEnd(src string, open int) int {
	if open+2 >= len(src) {
		return -1
	}
	switch c := src[open+2]; {
	case c == '>':
		return open + 3 // "</>" is an empty comment to the tokenizer
	case isASCIILetter(c):
		_, end := scanTag(src, open+2)
		return end
	default:
		return closeAngleEnd(src, open+2) // a bogus comment such as "</ x>"
	}
}

// closeAngleEnd returns the position after the first '>' at or after
// src[from], or -1.
func closeAngleEnd(src string, from int) int {
	if from >= len(src) {
		return -1
	}
	j := strings.IndexByte(src[from:], '>')
	if j < 0 {
		return -1
	}
	return from + j + 1
}

// commentEnd returns the position after the comment whose data begins at
// src[from], just after "<!--", or -1 when it runs to the end of input.
//
// The tokenizer ends a comment at the first '>' that follows "--" or "--!",
// or that has only dashes between "<!--" and itself, as in <!--> and <!--->.
func commentEnd(src string, from int) int {
	leadingDashes := len(src) - from - len(strings.TrimLeft(src[from:], "-"))
	for i := from; ; {
		j := strings.IndexByte(src[i:], '>')
		if j < 0 {
			return -1
		}
		closeAngle := i + j
		data := src[from:closeAngle]
		if len(data) <= leadingDashes || strings.HasSuffix(data, "--") || strings.HasSuffix(data, "--!") {
			return closeAngle + 1
		}
		i = closeAngle + 1
	}
}

// rawTextEnd returns the position of the end tag that closes the raw text
// of element, a lower-case name, starting at src[from], or -1 when there is
// none. Like the tokenizer, it takes "</" followed by the name in any letter
// case and by white space, '/' or '>'.
func rawTextEnd(src string, from int, element string) int {
	for i := from; i < len(src); {
		j := strings.Index(src[i:], "</")
		if j < 0 {
			return -1
		}
		open := i + j
		name := open + 2
		after := name + len(element)
		if after < len(src) && asciiEqualFold(src[name:after], element) && isNameEnd(src[after]) {
			return open
		}
		i = name
	}
	return -1
}

// tagAttr is the position of one attribute in a tag.
type tagAttr struct {
	keyStart, keyEnd     int
	valueStart, valueEnd int // an empty range at keyEnd when there is no value
	next                 int // the position after the attribute
}

// nextAttr scans the attribute that starts at s[i] or after white space, as
// the tokenizer does, following the WHATWG tag and attribute states. It
// returns false when the tag ends first, with next at its '>' or at len(s).
// The key may be empty, as for the '/' of "<a / href=x>".
func nextAttr(s string, i int) (tagAttr, bool) {
	i = skipSpace(s, i)
	if i >= len(s) || s[i] == '>' {
		return tagAttr{next: i}, false
	}
	var a tagAttr
	// An '=' in first place belongs to the key.
	a.keyStart = i
	for i < len(s) {
		c := s[i]
		if c == '=' && i > a.keyStart || c == '/' || c == '>' || isSpace(c) {
			break
		}
		i++
	}
	a.keyEnd = i
	a.valueStart, a.valueEnd = i, i
	i = skipSpace(s, i)
	switch {
	case i < len(s) && s[i] == '/':
		i++
	case i < len(s) && s[i] == '=':
		i = skipSpace(s, i+1)
		a.valueStart, a.valueEnd, i = attrValue(s, i)
	}
	a.next = i
	return a, true
}

// linkHrefSpan returns the range of the value of the first href attribute of
// a link tag, and false when it has none or carries the data-pacer-notrack
// attribute. Keys compare in ASCII case only, as the tokenizer lower-cases
// them, so a non-ASCII key such as "data-pacer-notrac\u212a" (KELVIN SIGN)
// is a different attribute.
func linkHrefSpan(tag string) (start, end int, ok bool) {
	i := 1
	for i < len(tag) && !isNameEnd(tag[i]) {
		i++
	}
	for {
		a, more := nextAttr(tag, i)
		if !more {
			return start, end, ok
		}
		i = a.next
		key := tag[a.keyStart:a.keyEnd]
		switch {
		case !ok && asciiEqualFold(key, "href"):
			start, end, ok = a.valueStart, a.valueEnd, true
		case asciiEqualFold(key, NoTrackAttr):
			return 0, 0, false
		}
	}
}

// decodeAttrValue returns an attribute value as the tokenizer decodes it,
// for values whose only character reference is "&amp;" and that have no
// carriage return or NUL. It returns false for other values.
func decodeAttrValue(v string) (string, bool) {
	if strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, 0) >= 0 {
		return "", false
	}
	amp := strings.IndexByte(v, '&')
	if amp < 0 {
		return v, true
	}
	for rest := v[amp:]; ; {
		if !strings.HasPrefix(rest, "&amp;") {
			return "", false
		}
		rest = rest[len("&amp;"):]
		next := strings.IndexByte(rest, '&')
		if next < 0 {
			break
		}
		rest = rest[next:]
	}
	return strings.ReplaceAll(v, "&amp;", "&"), true
}

// tokenizedHref returns the decoded href of a single link tag, read with
// the tokenizer, and false when it has none or carries data-pacer-notrack.
func tokenizedHref(tag string) (string, bool) {
	z := html.NewTokenizer(strings.NewReader(tag))
	if tt := z.Next(); tt != html.StartTagToken && tt != html.SelfClosingTagToken {
		return "", false
	}
	return linkHref(z)
}

// isLinkName reports whether a tag name is a or area, in any letter case.
func isLinkName(name string) bool {
	return len(name) == 1 && (name[0] == 'a' || name[0] == 'A') || asciiEqualFold(name, "area")
}

// rawTextElement returns the lower-case name of an element whose content
// the tokenizer reads as raw text, or "" for any other tag name.
func rawTextElement(name string) string {
	for _, element := range rawTextElements {
		if asciiEqualFold(name, element) {
			return element
		}
	}
	return ""
}

var rawTextElements = [...]string{
	"script", "style", "title", "textarea", "noscript", "iframe", "xmp", "noembed", "noframes", "plaintext",
}

// asciiEqualFold reports whether s equals lower, a lower-case ASCII string,
// when ASCII capital letters in s are lowered.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
