package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// A framer cuts the input into records: one physical line, or several when a
// quoted field holds line breaks. It follows the quoting rules of RFC 4180
// as encoding/csv applies them, so that each record it returns is exactly
// what one csv.Reader.Read consumes.
//
// A record whose quotes never close would otherwise swallow the rest of the
// file. The framer stops such a record at the end of the file, at a quote
// that cannot close it, or after maxBytes. The Reader then reports it and
// calls rewind, so the lines after the record's first line are read again as
// records of their own.
type framer struct {
	br       *bufio.Reader
	pending  []byte // lines given back by rewind, read before br
	brLine   int    // lines consumed from br
	line     int    // number of the line last returned, counting from 1
	buf      []byte // the current record
	maxBytes int

	delim       byte
	trimLeading bool // mirrors csv.Reader.TrimLeadingSpace
}

// record is one framed record.
type record struct {
	data     []byte // the bytes of the record, line ends included
	line     int    // number of its first line
	lines    int    // number of physical lines it spans
	firstLen int    // length of its first line within data
	problem  string // why it cannot be parsed, if framing found a problem
}

func newFramer(r io.Reader, maxBytes int) *framer {
	return &framer{br: bufio.NewReaderSize(r, 64<<10), maxBytes: maxBytes}
}

// readLine appends the next physical line to f.buf. It returns the number
// of bytes appended, whether the line was longer than maxBytes (then
// nothing of it is kept), and io.EOF when there is no line left.
func (f *framer) readLine() (n int, tooLong bool, err error) {
	if len(f.pending) > 0 {
		i := bytes.IndexByte(f.pending, '\n') + 1
		if i == 0 {
			i = len(f.pending)
		}
		f.buf = append(f.buf, f.pending[:i]...)
		f.pending = f.pending[i:]
		f.line++
		if len(f.pending) == 0 {
			f.line = f.brLine
		}
		return i, false, nil
	}

	start, read := len(f.buf), 0
	for {
		chunk, err := f.br.ReadSlice('\n')
		read += len(chunk)
		if !tooLong && read > f.maxBytes {
			tooLong = true
			f.buf = f.buf[:start]
		}
		if !tooLong {
			f.buf = append(f.buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && read == 0 {
			return 0, false, io.EOF
		}
		if err != nil && err != io.EOF {
			return 0, false, err
		}
		f.brLine++
		f.line = f.brLine
		return len(f.buf) - start, tooLong, nil
	}
}

// startRecord reads the first non-blank line of the next record into f.buf.
func (f *framer) startRecord() (record, error) {
	for {
		f.buf = f.buf[:0]
		n, tooLong, err := f.readLine()
		if err != nil {
			return record{}, err
		}
		rec := record{line: f.line, lines: 1, firstLen: n}
		if tooLong {
			rec.problem = fmt.Sprintf("line is longer than %d bytes", f.maxBytes)
			return rec, nil
		}
		if len(bytes.TrimRight(f.buf, "\r\n")) > 0 {
			return rec, nil
		}
	}
}

// finishRecord reads more lines into rec while a quoted field is open.
func (f *framer) finishRecord(rec record) (record, error) {
	if rec.problem == "" {
		st := quoteState{fieldStart: true}
		f.scan(&st, f.buf)
		for st.open() && !st.broken {
			if len(f.buf) > f.maxBytes {
				rec.problem = fmt.Sprintf("a quoted field opened on this line is still open "+
					"after %d bytes; check for a missing closing quote", f.maxBytes)
				break
			}
			n, tooLong, err := f.readLine()
			if err == io.EOF {
				rec.problem = "a quoted field opened on this line is not closed before " +
					"the end of the file; check for a missing closing quote"
				break
			}
			if err != nil {
				return record{}, err
			}
			rec.lines++
			if tooLong {
				rec.problem = fmt.Sprintf("a quoted field opened on this line runs into line %d, "+
					"which is longer than %d bytes and was skipped", f.line, f.maxBytes)
				break
			}
			f.scan(&st, f.buf[len(f.buf)-n:])
		}
	}
	rec.data = f.buf
	return rec, nil
}

// next returns the next record, or io.EOF.
func (f *framer) next() (record, error) {
	rec, err := f.startRecord()
	if err != nil {
		return record{}, err
	}
	return f.finishRecord(rec)
}

// rewind gives back the lines of rec after its first, to be read again.
func (f *framer) rewind(rec record) {
	if rec.lines < 2 {
		return
	}
	rest := rec.data[rec.firstLen:]
	p := make([]byte, 0, len(rest)+len(f.pending))
	f.pending = append(append(p, rest...), f.pending...)
	f.line = rec.line
}

// quoteState tracks RFC 4180 quoting across the lines of one record.
type quoteState struct {
	inQuotes   bool // inside a quoted field
	afterQuote bool // the last byte was a quote inside a quoted field
	fieldStart bool // nothing of the current field seen yet
	broken     bool // a quote was closed and followed by something else
}

// open reports whether the record continues on the next line.
func (st *quoteState) open() bool {
	return st.inQuotes && !st.afterQuote
}

// scan advances st over line. A quote opens a quoted field only at the start
// of a field, after leading white space when trimLeading is set. Anywhere
// else it is a bare quote, which encoding/csv rejects on that line alone.
func (f *framer) scan(st *quoteState, line []byte) {
	if !st.inQuotes && bytes.IndexByte(line, '"') < 0 {
		return
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if st.inQuotes {
			if !st.afterQuote {
				st.afterQuote = c == '"'
				continue
			}
			st.afterQuote = false
			if c == '"' {
				continue // a doubled quote inside the field
			}
			st.inQuotes = false
			if c != f.delim && c != '\r' && c != '\n' {
				st.broken = true
			}
		}
		switch {
		case c == f.delim:
			st.fieldStart = true
		case c == '"' && st.fieldStart:
			st.inQuotes, st.fieldStart = true, false
		case st.fieldStart && f.trimLeading && c != '\r' && c != '\n':
			if r, size := utf8.DecodeRune(line[i:]); unicode.IsSpace(r) {
				i += size - 1
				continue
			}
			st.fieldStart = false
		default:
			st.fieldStart = false
		}
	}
}
