package message

import "strings"

// qpMaxContent is the number of octets a quoted-printable line may carry
// before its soft line break "=", so that no line exceeds the 76 octets of
// RFC 2045, section 6.7, not counting CRLF.
const qpMaxContent = 75

// Octet classes of the quoted-printable encoder.
const (
	qpLiteral = iota // printable ASCII other than '=': written as it is
	qpSpace          // space or tab: literal unless it ends a line
	qpCR
	qpLF
	qpEscape // any other octet: written as =XX
)

var qpClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == ' ' || c == '\t':
			t[c] = qpSpace
		case c == '\r':
			t[c] = qpCR
		case c == '\n':
			t[c] = qpLF
		case c >= '!' && c <= '~' && c != '=':
			t[c] = qpLiteral
		default:
			t[c] = qpEscape
		}
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendQuotedPrintable appends s to dst in quoted-printable encoding for a
// text body. A CRLF, a lone CR and a lone LF each become one CRLF line break,
// as MIME requires of text. Space and tab before a line break or at the end
// of s are escaped, because transports may strip trailing whitespace. Every
// '=' in the output starts an escape "=XX" with uppercase hex digits or is a
// soft line break before CRLF, so the output never contains "=_", which
// multipart boundaries of this package do.
//
// At the start of each output line, a '.' is escaped, so that no line is a
// lone "." that would end the SMTP DATA of a relay that skips dot-stuffing.
// The 'F' of a line starting with "From " is escaped too, so that mbox
// software does not prefix the line with '>' and change the decoded text.
func appendQuotedPrintable(dst []byte, s string) []byte {
	lineLen := 0
	for i := 0; i < len(s); {
		c := s[i]
		class := qpClass[c]
		if lineLen == 0 && (c == '.' || c == 'F' && strings.HasPrefix(s[i:], "From ")) {
			class = qpEscape
		}
		if class == qpSpace && (i+1 == len(s) || s[i+1] == '\r' || s[i+1] == '\n') {
			class = qpEscape
		}
		switch class {
		case qpLiteral, qpSpace:
			if lineLen == qpMaxContent {
				dst = append(dst, "=\r\n"...)
				lineLen = 0
				continue // the next line starts here and may need an escape
			}
			// Copy the run of octets that need no escape and fit on the line.
			end := min(len(s), i+qpMaxContent-lineLen)
			j := i + 1
			for j < end {
				k := qpClass[s[j]]
				if k == qpLiteral || k == qpSpace && j+1 < len(s) && s[j+1] != '\r' && s[j+1] != '\n' {
					j++
					continue
				}
				break
			}
			dst = append(dst, s[i:j]...)
			lineLen += j - i
			i = j
		case qpCR:
			dst = append(dst, '\r', '\n')
			lineLen = 0
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case qpLF:
			dst = append(dst, '\r', '\n')
			lineLen = 0
			i++
		default:
			if lineLen+3 > qpMaxContent {
				dst = append(dst, "=\r\n"...)
				lineLen = 0
				continue
			}
			dst = append(dst, '=', upperHex[c>>4], upperHex[c&0x0f])
			lineLen += 3
			i++
		}
	}
	return dst
}
