package bounce

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// splitHeader parses the header block at the start of data leniently: folded
// lines are unfolded, lines that are not fields end the header (the body then
// starts there), and only the first maxHeaderFields fields are kept.
func splitHeader(data []byte) (message.Header, []byte) {
	var h textproto.Header
	var key string
	var val []byte
	n := 0
	flush := func() {
		if key != "" && n < maxHeaderFields {
			h.Add(key, string(val))
			n++
		}
		key, val = "", val[:0]
	}
	pos := 0
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end < 0 {
			end = len(data)
		} else {
			end += pos
			next = end + 1
		}
		line := bytes.TrimRight(data[pos:end], "\r")
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			flush()
			return message.Header{Header: h}, data[next:]
		case line[0] == ' ' || line[0] == '\t':
			if key != "" && len(val) < maxHeaderValue {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || !validFieldName(line[:colon]) {
				flush()
				return message.Header{Header: h}, data[pos:]
			}
			flush()
			key = string(bytes.TrimSpace(line[:colon]))
			val = append(val, capBytes(bytes.TrimSpace(line[colon+1:]), maxHeaderValue)...)
		}
		pos = next
	}
	flush()
	return message.Header{Header: h}, nil
}

// validFieldName allows RFC 5322 field names plus trailing blanks ("Subject :").
func capBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func validFieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

// skipMboxFrom drops an mbox "From " separator line at the top of a message.
func skipMboxFrom(b []byte) []byte {
	if bytes.HasPrefix(b, []byte("From ")) || bytes.HasPrefix(b, []byte(">From ")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[i+1:]
		}
	}
	return b
}

func skipBlankLines(b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 || len(bytes.TrimSpace(b[:i])) != 0 {
			return b
		}
		b = b[i+1:]
	}
	return b
}

// field is one "Name: value" line of a DSN or ARF report, unfolded. The
// name is lower case.
type field struct {
	name, value string
}

// parseFieldBlocks reads the blank-line separated blocks of fields of a
// message/delivery-status or message/feedback-report body. It is lenient:
// lines that are not fields are skipped, folded lines are unfolded.
func parseFieldBlocks(body []byte) [][]field {
	var blocks [][]field
	var cur []field
	var name string
	var val []byte
	n := 0
	flush := func() {
		if name != "" {
			cur = append(cur, field{name: name, value: string(val)})
		}
		name, val = "", val[:0]
	}
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			flush()
			if len(cur) > 0 {
				blocks = append(blocks, cur)
				cur = nil
			}
		case line[0] == ' ' || line[0] == '\t':
			if name != "" && len(val) < maxHeaderValue {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
			}
		default:
			flush()
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || !validFieldName(line[:colon]) || n >= maxVerdicts*20 {
				continue
			}
			n++
			name = strings.ToLower(string(bytes.TrimSpace(line[:colon])))
			val = append(val, capBytes(bytes.TrimSpace(line[colon+1:]), maxHeaderValue)...)
		}
	}
	flush()
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	return blocks
}

// fieldSet is a parsed block with lookup by lower-case name.
type fieldSet []field

// get returns the first value of name, or "".
func (fs fieldSet) get(name string) string {
	for _, f := range fs {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// all returns every value of name.
func (fs fieldSet) all(name string) []string {
	var out []string
	for _, f := range fs {
		if f.name == name {
			out = append(out, f.value)
		}
	}
	return out
}

func (fs fieldSet) has(name string) bool {
	for _, f := range fs {
		if f.name == name {
			return true
		}
	}
	return false
}
