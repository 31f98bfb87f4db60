package bounce

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // ISO-8859-x, Windows-125x, Shift_JIS, ... bodies
)

// entity is one MIME entity with its body already decoded where the package
// reads it. Bodies are slices of the LF-normalised input or decoded copies.
type entity struct {
	header    message.Header
	mediaType string            // lower case, "text/plain" when absent or unparseable
	params    map[string]string // lower-case keys
	body      []byte            // decoded body of leaves that are read, nil otherwise
	children  []*entity         // parts of a multipart entity
	inner     *entity           // the message inside message/rfc822 or message/global
}

// mimeParser builds the entity tree within the limits.
type mimeParser struct {
	maxDepth, maxParts int
	parts              int
	budget             int64 // decoded bytes left for all bodies
	notes              []string
}

// parseMIME parses a whole message. The error is a limit error; broken MIME
// is tolerated and described in the notes.
func parseMIME(raw []byte, opts Options) (*entity, []string, error) {
	p := &mimeParser{maxDepth: opts.MaxDepth, maxParts: opts.MaxParts, budget: 2*int64(len(raw)) + 4096}
	raw = skipMboxFrom(raw)
	e, err := p.parse(raw, 0)
	return e, p.notes, err
}

func (p *mimeParser) note(s string) { p.notes = append(p.notes, s) }

func (p *mimeParser) parse(data []byte, depth int) (*entity, error) {
	if depth > p.maxDepth {
		return nil, errTooDeep
	}
	p.parts++
	if p.parts > p.maxParts {
		return nil, errTooManyParts
	}
	h, body := splitHeader(data)
	e := &entity{header: h}
	e.mediaType, e.params = contentType(h)
	switch {
	case strings.HasPrefix(e.mediaType, "multipart/"):
		chunks, ok := splitMultipart(body, e.params["boundary"], p.maxParts-p.parts+1)
		if !ok {
			p.note("broken MIME: multipart boundary not found, scanned the raw text")
			e.mediaType, e.body = "text/plain", body
			return e, nil
		}
		for _, c := range chunks {
			child, err := p.parse(c, depth+1)
			if err != nil {
				return nil, err
			}
			e.children = append(e.children, child)
		}
	case isMessageType(e.mediaType):
		inner, err := p.parse(skipBlankLines(p.decode(e, body)), depth+1)
		if err != nil {
			return nil, err
		}
		e.inner = inner
	case isReadType(e.mediaType):
		e.body = p.decode(e, body)
	}
	return e, nil
}

// isMessageType reports whether an entity encapsulates a whole message.
func isMessageType(t string) bool {
	return t == "message/rfc822" || t == "message/global"
}

// isReadType reports whether the package reads the body of a leaf of type t.
func isReadType(t string) bool {
	switch t {
	case "message/delivery-status", "message/global-delivery-status", "message/feedback-report",
		"message/disposition-notification", "text/rfc822-headers", "message/global-headers":
		return true
	}
	return strings.HasPrefix(t, "text/")
}

// decode undoes the transfer encoding and converts text to UTF-8 with
// go-message. Unknown encodings and charsets leave the body as it is; bad
// base64 keeps what decoded, bad quoted-printable falls back to the raw text.
func (p *mimeParser) decode(e *entity, raw []byte) []byte {
	if isIdentity(e) {
		return raw // no copy: nested messages cost no memory per level
	}
	if p.budget <= 0 {
		p.note("decoded size limit reached, some bodies were skipped")
		return nil
	}
	me, err := message.New(e.header, bytes.NewReader(raw))
	if me == nil {
		return raw
	}
	if err != nil {
		p.note("unknown transfer encoding or charset: " + err.Error())
	}
	out, rerr := io.ReadAll(io.LimitReader(me.Body, p.budget))
	if rerr != nil {
		enc := strings.ToLower(strings.TrimSpace(e.header.Get("Content-Transfer-Encoding")))
		p.note("broken " + enc + " body: " + rerr.Error())
		if enc != "base64" || len(out) == 0 {
			out = raw
		}
	}
	p.budget -= int64(len(out))
	return normalizeNewlines(out)
}

// isIdentity reports whether decoding would not change the body: no
// transfer encoding, and no charset conversion.
func isIdentity(e *entity) bool {
	switch strings.ToLower(strings.TrimSpace(e.header.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit", "binary":
	default:
		return false
	}
	if !strings.HasPrefix(e.mediaType, "text/") {
		return true
	}
	switch strings.ToLower(e.params["charset"]) {
	case "", "utf-8", "utf8", "us-ascii":
		return true
	}
	return false
}

var paramRe = regexp.MustCompile(`([A-Za-z0-9*_.-]+)\s*=\s*(?:"([^"]*)"|([^;\s]+))`)

// contentType parses Content-Type with go-message, falling back to a
// lenient parse of broken values (duplicate or badly quoted parameters).
func contentType(h message.Header) (string, map[string]string) {
	t, params, err := h.ContentType()
	if err == nil && strings.Contains(t, "/") {
		return strings.ToLower(t), params
	}
	v := h.Get("Content-Type")
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	params = map[string]string{}
	for _, m := range paramRe.FindAllStringSubmatch(rest, 20) {
		k := strings.ToLower(m[1])
		if _, dup := params[k]; !dup {
			params[k] = m[2] + m[3]
		}
	}
	return mt, params
}

// splitMultipart cuts body into parts at "--boundary" lines, tolerating a
// missing closing delimiter. Without a boundary parameter it guesses the
// boundary from the first "--token" line. It returns false when no delimiter
// is found, also with the guessed boundary. At most limit+1 parts are returned, enough to trip the limit.
func splitMultipart(body []byte, boundary string, limit int) ([][]byte, bool) {
	if boundary != "" {
		if parts, ok := splitAt(body, boundary, limit); ok {
			return parts, true
		}
	}
	if guess := guessBoundary(body); guess != "" && guess != boundary {
		return splitAt(body, guess, limit)
	}
	return nil, false
}

func splitAt(body []byte, boundary string, limit int) ([][]byte, bool) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start, found := -1, false
	for pos := 0; pos < len(body); {
		end := bytes.IndexByte(body[pos:], '\n')
		next := len(body)
		if end < 0 {
			end = len(body)
		} else {
			end += pos
			next = end + 1
		}
		line := body[pos:end]
		if bytes.HasPrefix(line, delim) {
			rest := bytes.TrimRight(line[len(delim):], " \t\r")
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				found = true
				if start >= 0 {
					parts = append(parts, body[start:max(start, pos-1)])
				}
				if closing || len(parts) > limit {
					return parts, true
				}
				start = next
			}
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts, found
}

var boundaryLineRe = regexp.MustCompile(`(?m)^--([^\s]{1,70})[ \t]*$`)

func guessBoundary(body []byte) string {
	m := boundaryLineRe.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSuffix(string(m[1]), "--")
}
