package importer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pacer-email/pacer/internal/address"
)

// candidateDelimiters are the delimiters detected from the header line, in
// order of preference when two fit equally well.
var candidateDelimiters = []byte{',', ';', '\t', '|'}

var utf8BOM = []byte("\xEF\xBB\xBF")

// checkHeaderRecord rejects a header record that cannot be read as UTF-8
// CSV, naming the usual cause.
func checkHeaderRecord(rec record) error {
	if rec.problem != "" {
		return fmt.Errorf("importer: header: %s", rec.problem)
	}
	if bytes.HasPrefix(rec.data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(rec.data, []byte{0xFE, 0xFF}) {
		return errors.New(`importer: the file is UTF-16 text (Excel "Unicode Text"); ` +
			`save it as "CSV UTF-8" and import it again`)
	}
	if reason := checkUTF8(rec.data); reason != "" {
		return fmt.Errorf("importer: header %s", reason)
	}
	if cr := bytes.IndexByte(rec.data, '\r'); cr >= 0 && cr+1 < len(rec.data) && rec.data[cr+1] != '\n' {
		return errors.New("importer: lines end in a carriage return alone (classic Mac OS), " +
			"so the file reads as one line; save it with Windows (CRLF) or Unix (LF) line ends")
	}
	return nil
}

// detectDelimiter picks the delimiter of a header line. It prefers the
// candidates that split the line into a column named "email", and among
// those the one that occurs most often outside quotes. A line with no
// candidate in it (a file with one column) gets a comma.
func detectDelimiter(line []byte) byte {
	best, bestCount, bestHasEmail := byte(','), 0, false
	for _, d := range candidateDelimiters {
		fields := splitOutsideQuotes(line, d)
		n := len(fields) - 1
		if n == 0 {
			continue
		}
		hasEmail := false
		for _, f := range fields {
			name := strings.Trim(address.TrimSpace(string(f)), `"`)
			hasEmail = hasEmail || strings.EqualFold(name, "email")
		}
		if hasEmail && !bestHasEmail || hasEmail == bestHasEmail && n > bestCount {
			best, bestCount, bestHasEmail = d, n, hasEmail
		}
	}
	return best
}

// splitOutsideQuotes splits line at each d that is not between quotes.
func splitOutsideQuotes(line []byte, d byte) [][]byte {
	line = bytes.TrimRight(line, "\r\n")
	var fields [][]byte
	inQuotes, start := false, 0
	for i, c := range line {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case c == d && !inQuotes:
			fields = append(fields, line[start:i])
			start = i + 1
		}
	}
	return append(fields, line[start:])
}

// columns maps header positions to what the Reader does with them.
type columns struct {
	count   int // fields in the header, which every row must match
	email   int
	name    int      // -1 if absent
	attribs int      // -1 if absent
	names   []string // attribute key by position; "" for columns not kept
}

// parseHeader resolves the header fields: names are trimmed of spaces, NBSP
// and a byte order mark, and matched without regard to case.
func parseHeader(fields []string, delim byte) (columns, error) {
	cols := columns{count: len(fields), email: -1, name: -1, attribs: -1}
	cols.names = make([]string, len(fields))
	seen := map[string]int{}
	found := make([]string, 0, len(fields))
	for i, f := range fields {
		name := address.TrimSpace(f)
		found = append(found, name)
		if name == "" {
			continue // an unnamed column, such as the one a trailing delimiter makes
		}
		key := strings.ToLower(name)
		if key == "attributes" {
			key = "attribs"
		}
		if j, dup := seen[key]; dup {
			return columns{}, fmt.Errorf("importer: header columns %d (%q) and %d (%q) "+
				"have the same name; rename or remove one", j+1, found[j], i+1, name)
		}
		seen[key] = i
		switch key {
		case "email":
			cols.email = i
		case "name":
			cols.name = i
		case "attribs":
			cols.attribs = i
		default:
			cols.names[i] = name
		}
	}
	if cols.email < 0 {
		return columns{}, fmt.Errorf("importer: the header has no \"email\" column "+
			"(found %s, split at %s): name the column that holds the addresses \"email\"",
			quoteList(found), delimName(delim))
	}
	return cols, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func delimName(d byte) string {
	switch d {
	case '\t':
		return "tabs"
	case ',':
		return "commas"
	case ';':
		return "semicolons"
	case '|':
		return "pipes"
	}
	return fmt.Sprintf("%q", d)
}
