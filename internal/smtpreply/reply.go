package smtpreply

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// Reply is one SMTP reply: the basic code of RFC 5321, the enhanced status
// code of RFC 3463 if the server sent one, and the text. The lines of a
// multi-line reply are joined with "\n", without their codes.
type Reply struct {
	Code     int    // basic reply code, for example 550
	Enhanced string // enhanced status code, for example "5.1.1"; empty if none
	Text     string // reply text
}

func (r Reply) String() string {
	if r.Enhanced == "" {
		return fmt.Sprintf("%03d %s", r.Code, r.Text)
	}
	return fmt.Sprintf("%03d %s %s", r.Code, r.Enhanced, r.Text)
}

// FromError returns the reply carried by err, which may wrap an
// *smtp.SMTPError from go-smtp. It reports false when err carries no reply
// (a network error, for example).
//
// go-smtp reads the enhanced code only from the start of the first line of
// a reply. When it found none, FromError looks for one at the start of each
// line of the text, which catches servers that put the code only on the last
// line of a multi-line reply.
func FromError(err error) (Reply, bool) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return Reply{}, false
	}
	r := Reply{Code: se.Code, Text: se.Message}
	if e := fromEnhancedCode(se.EnhancedCode); e.valid() {
		r.Enhanced = e.String()
		return r, true
	}
	r.Enhanced, r.Text = splitEnhanced(se.Message)
	return r, true
}

// Parse parses a reply in its wire form, one or more lines of
// "code-text" ending with a "code text" line, with or without the trailing
// CRLF. It is meant for replies quoted in logs, tests and bounce reports.
func Parse(wire string) (Reply, error) {
	wire = strings.TrimRight(strings.ReplaceAll(wire, "\r\n", "\n"), "\n")
	lines := strings.Split(wire, "\n")
	texts := make([]string, len(lines))
	code := 0
	for i, line := range lines {
		if len(line) < 3 {
			return Reply{}, fmt.Errorf("smtpreply: line %d %q is too short for a reply", i+1, line)
		}
		c, err := strconv.Atoi(line[:3])
		if err != nil || c < 100 || c > 599 {
			return Reply{}, fmt.Errorf("smtpreply: line %d %q does not start with a reply code",
				i+1, line)
		}
		if i > 0 && c != code {
			return Reply{}, fmt.Errorf("smtpreply: line %d has code %d, the reply started with %d",
				i+1, c, code)
		}
		code = c
		if len(line) > 3 {
			texts[i] = line[4:]
		}
	}
	r := Reply{Code: code}
	r.Enhanced, r.Text = splitEnhanced(strings.Join(texts, "\n"))
	return r, nil
}

// enhanced is a parsed RFC 3463 status code: class.subject.detail.
type enhanced struct {
	class, subject, detail int
}

func fromEnhancedCode(c smtp.EnhancedCode) enhanced {
	return enhanced{c[0], c[1], c[2]}
}

// valid reports whether e is a status code RFC 3463 allows: class 2, 4 or
// 5, and subject and detail of one to three digits.
func (e enhanced) valid() bool {
	return (e.class == 2 || e.class == 4 || e.class == 5) &&
		e.subject >= 0 && e.subject <= 999 && e.detail >= 0 && e.detail <= 999
}

func (e enhanced) String() string {
	return fmt.Sprintf("%d.%d.%d", e.class, e.subject, e.detail)
}

func (e enhanced) is(subject, detail int) bool {
	return e.subject == subject && e.detail == detail
}

// parseEnhanced parses s as "class.subject.detail". Each part must be all
// digits, one digit for the class and one to three for the others, so that
// "5.1.351" keeps its detail and "4.16.55.1" is not a status code at all.
func parseEnhanced(s string) (enhanced, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 {
		return enhanced{}, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return enhanced{}, false
		}
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return enhanced{}, false
			}
		}
		n[i], _ = strconv.Atoi(p)
	}
	e := enhanced{n[0], n[1], n[2]}
	return e, e.valid()
}

// splitEnhanced finds the first line of text that starts with an enhanced
// status code and returns that code. It returns text with the code removed
// from the start of every line that repeats it, as RFC 2034 section 3 has
// servers do on each line of a multi-line reply.
func splitEnhanced(text string) (code, rest string) {
	lines := strings.Split(text, "\n")
	for _, line := range lines {
		token, _, _ := strings.Cut(line, " ")
		if _, ok := parseEnhanced(token); ok {
			code = token
			break
		}
	}
	if code == "" {
		return "", text
	}
	for i, line := range lines {
		if line == code {
			lines[i] = ""
		} else if after, ok := strings.CutPrefix(line, code+" "); ok {
			lines[i] = after
		}
	}
	return code, strings.Join(lines, "\n")
}
