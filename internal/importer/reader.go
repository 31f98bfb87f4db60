package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// DefaultMaxRecordBytes is the largest record the Reader reads when
// Options.MaxRecordBytes is zero.
const DefaultMaxRecordBytes = 1 << 20

// Options configure a Reader. The zero value detects the delimiter.
type Options struct {
	// Delimiter separates fields. Zero means detect it from the header
	// line. It must be an ASCII character other than a quote or line break.
	Delimiter rune

	// MaxRecordBytes bounds one record (a line, or several when a quoted
	// field holds line breaks). Longer records are row errors. Zero means
	// DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// Row is one good row of the file.
type Row struct {
	Line    int            // physical line where the row starts; the header is line 1
	Email   string         // the address as normalised by address.Normalize
	Key     string         // address.Key of Email, for deduplication
	Name    string         // the name column, trimmed; empty if absent
	Attribs map[string]any // attributes from the attribs JSON and other columns; nil if none
}

// RowError reports a row that was skipped. The import goes on: call Next
// again for the next row.
type RowError struct {
	Line   int    `json:"line"`   // physical line where the row starts; the header is line 1
	Email  string `json:"email"`  // the email field as it appears in the file, if it could be read
	Reason string `json:"reason"` // what is wrong and how to fix it
}

func (e *RowError) Error() string {
	if e.Email == "" {
		return fmt.Sprintf("importer: line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("importer: line %d (%q): %s", e.Line, e.Email, e.Reason)
}

// Reader reads rows from a CSV subscriber file.
type Reader struct {
	f    *framer
	src  recordSource
	csv  *csv.Reader
	cols columns
	err  error // sticky error from the underlying reader
}

// NewReader reads the header from r and returns a Reader positioned at the
// first row. It fails if the file is empty, the header cannot be parsed or
// has no email column.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	if opts.Delimiter != 0 && !validDelimiter(opts.Delimiter) {
		return nil, fmt.Errorf("importer: delimiter %q cannot be used: pick an ASCII character "+
			"other than a quote or line break", opts.Delimiter)
	}
	max := opts.MaxRecordBytes
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	rd := &Reader{f: newFramer(r, max)}
	rd.csv = csv.NewReader(&rd.src)
	rd.csv.FieldsPerRecord = -1
	rd.csv.ReuseRecord = true

	rec, err := rd.readHeaderLine()
	if err != nil {
		return nil, err
	}
	delim := byte(opts.Delimiter)
	if delim == 0 {
		delim = detectDelimiter(rd.f.buf)
	}
	rd.setDelimiter(delim)
	if rec, err = rd.f.finishRecord(rec); err != nil {
		return nil, fmt.Errorf("importer: reading the header: %w", err)
	}
	if err := checkHeaderRecord(rec); err != nil {
		return nil, err
	}
	fields, reason := rd.parse(rec)
	if reason != "" {
		return nil, fmt.Errorf("importer: header: %s", reason)
	}
	if rd.cols, err = parseHeader(fields, delim); err != nil {
		return nil, err
	}
	return rd, nil
}

// readHeaderLine reads the first line that is not blank once a byte order
// mark is dropped from the start of the file.
func (r *Reader) readHeaderLine() (record, error) {
	for first := true; ; first = false {
		rec, err := r.f.startRecord()
		if err == io.EOF {
			return record{}, errors.New(`importer: the file is empty: ` +
				`its first line must be a header with an "email" column`)
		}
		if err != nil {
			return record{}, fmt.Errorf("importer: reading the header: %w", err)
		}
		if rec.problem != "" {
			return record{}, fmt.Errorf("importer: header: %s "+
				"(lines that end in a carriage return alone read as one line)", rec.problem)
		}
		if first {
			r.f.buf = trimBOM(r.f.buf)
			rec.firstLen = len(r.f.buf)
		}
		if len(bytes.TrimRight(r.f.buf, "\r\n")) > 0 {
			return rec, nil
		}
	}
}

func validDelimiter(d rune) bool {
	return d > 0 && d < utf8.RuneSelf && d != '"' && d != '\r' && d != '\n'
}

func trimBOM(b []byte) []byte {
	if len(b) >= len(utf8BOM) && string(b[:len(utf8BOM)]) == string(utf8BOM) {
		return append(b[:0], b[len(utf8BOM):]...)
	}
	return b
}

func (r *Reader) setDelimiter(d byte) {
	r.f.delim = d
	r.csv.Comma = rune(d)
	// csv's TrimLeadingSpace would eat empty fields between tabs.
	trim := d != '\t' && d != ' '
	r.f.trimLeading = trim
	r.csv.TrimLeadingSpace = trim
}

// Next returns the next good row. A bad row yields a *RowError, after which
// Next can be called again; io.EOF marks the end of the file. Any other
// error comes from the underlying reader and ends the import.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		rec, err := r.f.next()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			r.err = fmt.Errorf("importer: reading line %d: %w", r.f.line+1, err)
			return Row{}, r.err
		}
		if rec.problem != "" {
			r.f.rewind(rec)
			return Row{}, &RowError{Line: rec.line, Reason: rec.problem}
		}
		if reason := checkUTF8(rec.data); reason != "" {
			return Row{}, &RowError{Line: rec.line, Reason: reason}
		}
		fields, reason := r.parse(rec)
		if reason != "" {
			r.f.rewind(rec)
			return Row{}, &RowError{Line: rec.line, Reason: reason}
		}
		if allBlank(fields) {
			continue
		}
		return r.cols.row(rec.line, fields)
	}
}

// parse runs csv over exactly one framed record. A non-empty reason means
// csv rejected it.
func (r *Reader) parse(rec record) (fields []string, reason string) {
	r.src.data = rec.data
	start := r.csv.InputOffset()
	fields, err := r.csv.Read()
	if err == nil && r.csv.InputOffset()-start == int64(len(rec.data)) {
		return fields, ""
	}
	// Drop what csv left of the record, so the next one starts clean.
	for i := 0; i <= len(rec.data); i++ {
		if _, e := r.csv.Read(); e == io.EOF {
			break
		}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Sprintf("malformed CSV: %v (line %d, byte %d); a field that holds %s, "+
			"quotes or line breaks must be in double quotes, with each quote inside doubled",
			pe.Err, rec.line+pe.Line-pe.StartLine, pe.Column, delimName(r.f.delim))
	}
	return nil, "malformed CSV: the record does not end where its quotes say it does"
}

func checkUTF8(b []byte) string {
	if utf8.Valid(b) {
		return ""
	}
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return fmt.Sprintf("is not valid UTF-8 (byte 0x%02X at byte %d); save the file as UTF-8 "+
		"(in Excel: \"CSV UTF-8\") and import it again", b[i], i+1)
}

func allBlank(fields []string) bool {
	for _, f := range fields {
		if trimSpace(f) != "" {
			return false
		}
	}
	return true
}

// recordSource feeds csv.Reader one framed record at a time.
type recordSource struct {
	data []byte
}

func (s *recordSource) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}
