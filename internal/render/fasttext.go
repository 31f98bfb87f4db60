package render

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	texttemplate "text/template"
	"text/template/parse"
	"unicode/utf8"
)

// The fast text path.
//
// Without a text template, the text part is [HTMLToText] of the rendered HTML.
// Tokenizing 3 KB of HTML for every subscriber costs more than the rest of
// the rendering, so Compile derives a second template from the escaped HTML
// template. Its text nodes hold the tokens of the HTML, tokenized once at
// compile time, and its actions emit the values the HTML template would write,
// as the tokenizer would decode them. Executing it yields a stream of events
// that fastText.write feeds to the same textWriter that writeText uses. So the
// rules on white space, blocks, lists, links and hidden elements run on every
// render as in the slow path, and only the tokenizing is done ahead.
//
// That is correct when no value can change how the rest of the HTML is
// tokenized. html/template escapes '<', '>', '&', both quotes and NUL in text
// and quoted attribute values, so a value can neither open a tag nor leave
// its attribute. deriveFastText checks the rest at compile time, and the
// campaign stays on the slow path when a check fails:
//   - Each action is in a text run, in the raw text of <style>, <title> or
//     <noscript>, or in a quoted attribute value other than style.
//   - {{ if }}, {{ range }}, {{ with }}, their {{ else }} and {{ end }}, and
//     variable declarations are in text runs. {{ template }} is not supported.
//   - No action follows '<' or an unfinished entity such as "&am".
//   - The escapers of each action are ones whose decoded output the text path
//     reproduces: HTML text, attribute values, and in an href the URL filter,
//     normalizer and query escaper.
//
// What the tokenizer returns for an escaped value is computed from the value
// itself, so no value can make the texts differ. In text and alt attributes
// it is the value with NUL as U+FFFD. In an href it is the value after
// html/template's URL filter, normalizer or query escaper, which processURL
// and isSafeURL reproduce. The tokenizer turns "\r\n" and "\r" into "\n"
// across a whole text token, so write converts them across the joins between
// static text and values. Runs of white space, invisible characters, link
// text that equals its URL and empty values are left to textWriter, as in the
// slow path.
//
// Values whose escaping the text path does not reproduce make the derived
// template fail, and that render takes the slow path: invalid UTF-8, pointers
// and html/template's typed strings such as template.HTML. As a guard against
// flaws in this reasoning, the first fastCheckFirst renders of a Template and
// one in fastCheckEvery after that compute both texts and compare them. The
// first mismatch switches the Template to the slow path for good.
//
// NOTE: processURL and isSafeURL reproduce the behaviour of html/template in Go
// 1.26. TestProcessURLMatchesHTMLTemplate fails if a later Go changes it.

const (
	// fastCheckFirst is how many renders of a Template compare the fast text
	// with the slow one before sampling starts.
	fastCheckFirst = 32
	// fastCheckEvery sets how often renders after the first fastCheckFirst
	// compare both texts.
	fastCheckEvery = 512
)

// Event codes of the derived template's output. Each event is a code byte
// followed by a uvarint: an index into fastText's tables, or the length of
// the value bytes that follow.
const (
	evText      byte = iota + 1 // static text: index into statics
	evValue                     // text of a value: length and bytes
	evTag                       // start tag: index into tags
	evEndTag                    // end tag: index into names
	evBoundary                  // comment or doctype, which ends a text token
	evSkipped                   // a value in the raw text of <style>, <title> or <noscript>
	evHrefText                  // static part of a dynamic href: index into names
	evHrefValue                 // value part of a dynamic href: length and bytes
	evAltText                   // static part of a dynamic alt: index into names
	evAltValue                  // value part of a dynamic alt: length and bytes
)

// Names of the functions that take the place of html/template's escapers in
// the derived template.
const (
	fnText      = "pacerTextValue"
	fnAlt       = "pacerAltValue"
	fnURL       = "pacerURLValue"       // URL filter and normalizer: a whole href
	fnURLNorm   = "pacerURLNormValue"   // normalizer: the rest of a URL's path
	fnURLEscape = "pacerURLEscapeValue" // query escaper: the query or fragment
)

// Names of the escapers that html/template inserts into pipelines.
const (
	escHTML          = "_html_template_htmlescaper"
	escAttr          = "_html_template_attrescaper"
	escURLFilter     = "_html_template_urlfilter"
	escURLNormalizer = "_html_template_urlnormalizer"
	escURLEscaper    = "_html_template_urlescaper"
	escComment       = "_html_template_commentescaper"
)

// fastValue describes a value function of the derived template: the event
// it emits and how it processes a URL.
type fastValue struct {
	code      byte
	url       bool // the value is part of an href
	filter    bool // an unsafe URL becomes "#ZgotmplZ", as html/template's URL filter does
	normalize bool // processURL's normalize argument
}

var fastValues = map[string]fastValue{
	fnText:      {code: evValue},
	fnAlt:       {code: evAltValue},
	fnURL:       {code: evHrefValue, url: true, filter: true, normalize: true},
	fnURLNorm:   {code: evHrefValue, url: true, normalize: true},
	fnURLEscape: {code: evHrefValue, url: true},
}

var fastFuncs = texttemplate.FuncMap{
	fnText:      fastValues[fnText].call,
	fnAlt:       fastValues[fnAlt].call,
	fnURL:       fastValues[fnURL].call,
	fnURLNorm:   fastValues[fnURLNorm].call,
	fnURLEscape: fastValues[fnURLEscape].call,
}

// errUnsupportedValue makes the derived template fail for a value whose
// escaping it does not reproduce, so that the render takes the slow path.
var errUnsupportedValue = errors.New("render: value not supported by the fast text path")

// fastText is the derived template of a campaign and the tables its events
// refer to. It is safe for concurrent use.
type fastText struct {
	tmpl *texttemplate.Template
	// events executes tmpl, by a direct program where tmpl allows it.
	events  *directTemplate
	statics []staticText
	tags    []staticTag
	names   []string

	checkFirst uint64
	checkEvery uint64
	renders    atomic.Uint64
	disabled   atomic.Bool // set when a checked render disagreed with the slow path
}

// staticText is a piece of a text token as the tokenizer decodes it.
type staticText struct {
	text []byte
	// words is text split at white space, with invisible characters
	// removed, for use outside <pre>.
	words      []staticWord
	spaceAfter bool // text ends in white space
	// startsLF and endsCR describe the undecoded piece, for the conversion
	// of "\r\n" across joins.
	startsLF, endsCR bool
}

type staticWord struct {
	spaceBefore bool
	word        []byte
}

// staticTag is a start tag with the attributes the converter reads.
type staticTag struct {
	name        string
	attrs       tagAttrs
	selfClosing bool
	dynamicHref bool // href is made of evHrefText and evHrefValue events
	dynamicAlt  bool // alt is made of evAltText and evAltValue events
}

var eventBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes the text part for data to out. An error means the text must
// come from the slow path.
func (f *fastText) render(out *bytes.Buffer, data Data) error {
	events := eventBuffers.Get().(*bytes.Buffer)
	defer eventBuffers.Put(events)
	events.Reset()
	if err := f.events.execute(events, &data); err != nil {
		return err
	}
	return f.write(out, events.Bytes())
}

// check reports whether this render should be compared with the slow path.
func (f *fastText) check() bool {
	n := f.renders.Add(1)
	return n <= f.checkFirst || n%f.checkEvery == 0
}

// write feeds the events of one execution to a textWriter on out. It may
// modify events.
func (f *fastText) write(out *bytes.Buffer, events []byte) error {
	w := textWriter{b: out, start: out.Len()}
	var href, alt []byte
	crBefore := false // the text token so far ended in an undecoded '\r'
	altCR := false    // the alt value so far ended in '\r' from a value
	for len(events) > 0 {
		code := events[0]
		n, size := binary.Uvarint(events[1:])
		if size <= 0 {
			return errBadEvents
		}
		events = events[1+size:]
		var value []byte
		switch code {
		case evValue, evHrefValue, evAltValue:
			if n > uint64(len(events)) {
				return errBadEvents
			}
			value, events = events[:n], events[n:]
		case evText, evTag:
		case evEndTag, evHrefText, evAltText:
			if n >= uint64(len(f.names)) {
				return errBadEvents
			}
		}
		switch code {
		case evText:
			if n >= uint64(len(f.statics)) {
				return errBadEvents
			}
			s := &f.statics[n]
			dropLF := crBefore && s.startsLF
			crBefore = s.endsCR
			if w.skip != 0 || w.hidden != 0 {
				continue
			}
			if dropLF || w.pre > 0 {
				text := s.text
				if dropLF {
					text = text[1:]
				}
				if len(text) > 0 {
					w.text(text)
				}
				continue
			}
			w.staticText(s)
		case evValue:
			if len(value) == 0 {
				continue
			}
			startsLF, endsCR := value[0] == '\n', value[len(value)-1] == '\r'
			value = convertLineBreaks(value)
			if crBefore && startsLF {
				value = value[1:]
			}
			crBefore = endsCR
			if len(value) > 0 && w.skip == 0 && w.hidden == 0 {
				w.text(value)
			}
		case evSkipped:
			if w.skip == 0 && w.hidden == 0 {
				return errUnsupportedValue
			}
		case evHrefText:
			href = append(href, f.names[n]...)
		case evHrefValue:
			href = append(href, value...)
		case evAltText:
			alt = append(alt, f.names[n]...)
			altCR = false
		case evAltValue:
			if len(value) == 0 {
				continue
			}
			startsLF, endsCR := value[0] == '\n', value[len(value)-1] == '\r'
			value = convertLineBreaks(value)
			if altCR && startsLF {
				value = value[1:]
			}
			altCR = endsCR
			alt = append(alt, value...)
		case evTag:
			if n >= uint64(len(f.tags)) {
				return errBadEvents
			}
			t := &f.tags[n]
			a := t.attrs
			if t.dynamicHref {
				a.href = strings.TrimSpace(string(href))
			}
			if t.dynamicAlt {
				a.alt = string(alt)
			}
			href, alt, altCR, crBefore = href[:0], alt[:0], false, false
			if !w.inHidden(t.name, t.selfClosing) {
				w.openTag(t.name, a, t.selfClosing)
			}
		case evEndTag:
			crBefore = false
			w.endTag(f.names[n])
		case evBoundary:
			crBefore = false
		default:
			return errBadEvents
		}
	}
	w.finish()
	return nil
}

var errBadEvents = errors.New("render: malformed fast text events")

// staticText writes a static piece outside <pre>, as text would.
func (w *textWriter) staticText(s *staticText) {
	for _, sw := range s.words {
		if sw.spaceBefore {
			w.space = true
		}
		if len(sw.word) > 0 {
			w.flush()
			w.mark()
			w.b.Write(sw.word)
			w.gluedURL = false
		}
	}
	if s.spaceAfter {
		w.space = true
	}
}

// call returns the event for the value an escaper would receive. A missing
// value arrives as nil, as it does at html/template's escapers. It returns
// errUnsupportedValue for values whose escaping it does not reproduce.
func (v fastValue) call(arg any) (string, error) {
	s, err := plainString(arg)
	if err != nil {
		return "", err
	}
	b, err := v.appendEvent(make([]byte, 0, 1+binary.MaxVarintLen64+len(s)), []byte(s))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// plainString converts the value an escaper receives to the string that
// html/template escapes: "" for nil, else the value as fmt.Sprint prints
// it. Pointers and html/template's typed strings are not supported.
func plainString(arg any) (string, error) {
	switch v := arg.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case htmltemplate.HTML, htmltemplate.HTMLAttr, htmltemplate.CSS, htmltemplate.JS,
		htmltemplate.JSStr, htmltemplate.URL, htmltemplate.Srcset:
		return "", errUnsupportedValue
	}
	if reflect.TypeOf(arg).Kind() == reflect.Pointer {
		return "", errUnsupportedValue
	}
	return fmt.Sprint(arg), nil
}

// isSafeURL reports whether html/template's URL filter passes s: a URL
// without a scheme, or with http, https or mailto.
func isSafeURL(s string) bool {
	scheme, _, found := strings.Cut(s, ":")
	if !found || strings.Contains(scheme, "/") {
		return true
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") ||
		strings.EqualFold(scheme, "mailto")
}

// processURL percent-encodes s as html/template does in URL attributes.
// Letters, digits and "-._~" are kept. With normalize, the reserved
// characters of RFC 3986 other than "'()" and valid %XX escapes are kept as
// well, for a value at the start of a URL or in its path. Without it, every
// other byte is encoded, for a value in the query or fragment.
func processURL(s string, normalize bool) string {
	return string(appendProcessedURL(nil, []byte(s), normalize))
}

const lowerHex = "0123456789abcdef"

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// convertLineBreaks converts "\r\n" and "\r" in s to "\n" in place, as the
// tokenizer does for text.
func convertLineBreaks(s []byte) []byte {
	if bytes.IndexByte(s, '\r') < 0 {
		return s
	}
	out := s[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' {
			c = '\n'
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		}
		out = append(out, c)
	}
	return out
}

// appendEvent appends an event with an index or length argument.
func appendEvent(b []byte, code byte, n int) []byte {
	b = append(b, code)
	return binary.AppendUvarint(b, uint64(n))
}

// newStaticText splits decoded text into words as textWriter.text would.
func newStaticText(text, raw string) staticText {
	s := staticText{
		text:     []byte(text),
		startsLF: strings.HasPrefix(raw, "\n"),
		endsCR:   strings.HasSuffix(raw, "\r"),
	}
	rest := s.text
	for len(rest) > 0 {
		i := 0
		for i < len(rest) {
			r, n := utf8.DecodeRune(rest[i:])
			if !isSpace(r) {
				break
			}
			i += n
		}
		if i == len(rest) {
			s.spaceAfter = true
			break
		}
		j := i
		for j < len(rest) {
			r, n := utf8.DecodeRune(rest[j:])
			if isSpace(r) {
				break
			}
			j += n
		}
		s.words = append(s.words, staticWord{spaceBefore: i > 0, word: dropInvisible(rest[i:j])})
		rest = rest[j:]
	}
	return s
}

// markerFor returns the text that stands for slot i while the template
// source is tokenized. The white space and punctuation in it end the marker's
// token or attribute early wherever a value could, so that deriveFastText
// finds the marker broken.
func markerFor(i int) string {
	return markerStart + strconv.Itoa(i) + markerProbe + markerEnd
}

const (
	markerStart = "\uFDD0"
	markerProbe = " \t\n/=`"
	markerEnd   = "\uFDD1"
)

// splitMarkers splits s at markers. It returns the text between them and
// the slot numbers, or ok false for a broken marker.
func splitMarkers(s string) (pieces []string, slots []int, ok bool) {
	for {
		i := strings.Index(s, markerStart)
		if i < 0 {
			if strings.Contains(s, markerEnd) {
				return nil, nil, false
			}
			return append(pieces, s), slots, true
		}
		pieces = append(pieces, s[:i])
		rest := s[i+len(markerStart):]
		j := 0
		for j < len(rest) && '0' <= rest[j] && rest[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(rest[:j])
		if err != nil || !strings.HasPrefix(rest[j:], markerProbe+markerEnd) {
			return nil, nil, false
		}
		slots = append(slots, n)
		s = rest[j+len(markerProbe)+len(markerEnd):]
	}
}

// newFastTemplate returns the derived template for tree.
func newFastTemplate(tree *parse.Tree) (*texttemplate.Template, error) {
	t := texttemplate.New(PartText).Funcs(texttemplate.FuncMap(funcs)).Funcs(fastFuncs)
	return t.AddParseTree(PartText, tree)
}
