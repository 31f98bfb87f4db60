package render

import (
	"bytes"
	"unicode/utf8"
)

// htmlEscapers are the Go versions of html/template's escapers that a
// program of the HTML template may call. For the plain strings a program
// passes them, the HTML, attribute and RCDATA escapers are the same function.
var htmlEscapers = map[string]escaper{
	escHTML:          appendHTMLEscaped,
	escAttr:          appendHTMLEscaped,
	escRCDATA:        appendHTMLEscaped,
	escComment:       appendNothing,
	escURLFilter:     appendURLFiltered,
	escURLNormalizer: appendURLNormalized,
	escURLEscaper:    appendURLEscaped,
}

// fastEscapers are the Go versions of the fast text template's value
// functions.
var fastEscapers = map[string]escaper{
	fnText:      fastValues[fnText].appendEvent,
	fnAlt:       fastValues[fnAlt].appendEvent,
	fnURL:       fastValues[fnURL].appendEvent,
	fnURLNorm:   fastValues[fnURLNorm].appendEvent,
	fnURLEscape: fastValues[fnURLEscape].appendEvent,
}

// appendHTMLEscaped appends src as html/template escapes text and attribute
// values: NUL becomes U+FFFD, and the double quote, '&', the single quote,
// '+', '<' and '>' become character references. Other bytes, invalid UTF-8
// included, are kept, so working on bytes gives the same result as on runes.
func appendHTMLEscaped(dst, src []byte) ([]byte, error) {
	written := 0
	for i, c := range src {
		var repl string
		switch c {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		dst = append(dst, src[written:i]...)
		dst = append(dst, repl...)
		written = i + 1
	}
	return append(dst, src[written:]...), nil
}

// appendNothing stands for html/template's comment escaper, whose output is
// always empty.
func appendNothing(dst, _ []byte) ([]byte, error) { return dst, nil }

// appendURLFiltered appends src, or "#ZgotmplZ" when its scheme is not one
// that html/template allows in a URL attribute.
func appendURLFiltered(dst, src []byte) ([]byte, error) {
	if !isSafeURLBytes(src) {
		return append(dst, "#ZgotmplZ"...), nil
	}
	return append(dst, src...), nil
}

func appendURLNormalized(dst, src []byte) ([]byte, error) {
	return appendProcessedURL(dst, src, true), nil
}

func appendURLEscaped(dst, src []byte) ([]byte, error) {
	return appendProcessedURL(dst, src, false), nil
}

// isSafeURLBytes is isSafeURL for a byte slice.
func isSafeURLBytes(s []byte) bool {
	scheme, _, found := bytes.Cut(s, []byte{':'})
	if !found || bytes.IndexByte(scheme, '/') >= 0 {
		return true
	}
	return bytes.EqualFold(scheme, []byte("http")) || bytes.EqualFold(scheme, []byte("https")) ||
		bytes.EqualFold(scheme, []byte("mailto"))
}

// appendProcessedURL appends s percent-encoded as processURL describes.
func appendProcessedURL(dst, s []byte, normalize bool) []byte {
	written := 0
	for i := range s {
		if urlKeepsByte(s, i, normalize) {
			continue
		}
		c := s[i]
		dst = append(dst, s[written:i]...)
		dst = append(dst, '%', lowerHex[c>>4], lowerHex[c&15])
		written = i + 1
	}
	return append(dst, s[written:]...)
}

func urlKeepsByte(s []byte, i int, normalize bool) bool {
	c := s[i]
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '.' || c == '_' || c == '~':
		return true
	case !normalize:
		return false
	case c == '%':
		return i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2])
	}
	switch c {
	case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
		return true
	}
	return false
}

// appendEvent appends the event of the fast text template for the plain
// string src, as the value function does. Invalid UTF-8 is an error, for
// which the render takes the slow text path.
func (v fastValue) appendEvent(dst, src []byte) ([]byte, error) {
	if !utf8.Valid(src) {
		return dst, errUnsupportedValue
	}
	// The event's length comes before its bytes, so it is computed first.
	if v.url {
		if v.filter && !isSafeURLBytes(src) {
			src = []byte("#ZgotmplZ")
		}
		dst = appendEvent(dst, v.code, processedURLLen(src, v.normalize))
		return appendProcessedURL(dst, src, v.normalize), nil
	}
	nuls := bytes.Count(src, []byte{0})
	dst = appendEvent(dst, v.code, len(src)+2*nuls)
	if nuls == 0 {
		return append(dst, src...), nil
	}
	for _, c := range src {
		if c == 0 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, c)
		}
	}
	return dst, nil
}

// processedURLLen returns the length of appendProcessedURL's output for s.
func processedURLLen(s []byte, normalize bool) int {
	n := len(s)
	for i := range s {
		if !urlKeepsByte(s, i, normalize) {
			n += 2
		}
	}
	return n
}
