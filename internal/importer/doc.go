// Package importer reads subscriber lists from CSV files one row at a time.
//
// A list can have millions of rows, so the [Reader] streams: it holds one
// record at a time and its memory does not grow with the file. Each good row
// comes back as a [Row] with its address normalised by package address. Each
// bad row comes back as a *[RowError] naming its line, and the caller then
// calls [Reader.Next] again, so one bad row never stops an import.
//
// # Format
//
// The file is UTF-8 CSV as RFC 4180 describes it: fields may be quoted, and a
// quoted field may hold the delimiter, doubled quotes ("") and line breaks.
// Lines may end in LF or CRLF. The first line is the header:
//
//   - A byte order mark at its start is dropped, and names are trimmed of
//     white space (including no-break spaces) and matched without regard to
//     case.
//   - An "email" column is required; "name" is optional.
//   - A column named "attribs" or "attributes" holds a JSON object whose keys
//     become attributes.
//   - Every other named column becomes a string attribute keyed by its
//     trimmed header name; it wins over a JSON key of the same name. Empty
//     cells set no attribute. Columns with an empty name are ignored.
//
// The delimiter is detected from the header line (comma, semicolon, tab or
// pipe) unless [Options] sets one. Leading white space in a field is skipped,
// so `a@example.com, "Doe, Jane"` reads as two fields, except in
// tab-delimited files, where it would swallow empty fields.
//
// Rows in another encoding (Latin-1, Windows-1252) are not guessed at: a row
// that is not valid UTF-8 is a row error naming its line. Blank lines and
// rows whose fields are all empty are skipped.
//
// # Malformed rows
//
// encoding/csv parses each record, but the Reader frames the records itself:
// it finds where a record ends by following the quotes line by line, and
// hands csv exactly one record at a time. A record csv rejects (a bare quote
// in an unquoted field, a stray quote after a closing one) is reported on its
// first line and costs only that record. A quote that never closes would make
// csv read on to the end of the file; the Reader stops such a record at a
// quote that cannot close it, at the end of the file or after
// [Options.MaxRecordBytes], reports it, and reads the lines after its first
// line again as rows of their own.
//
// # Duplicates
//
// The Reader does not look for duplicate addresses, because that would take
// memory in proportion to the file. Every row carries [address.Key] and the
// caller leaves duplicates to the database: rows that share a key are one
// subscriber, and with "overwrite" the last such row wins.
package importer
