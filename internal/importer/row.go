package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pacer-email/pacer/internal/address"
)

func trimSpace(s string) string { return address.TrimSpace(s) }

// row turns the fields of one record into a Row, or a *RowError.
func (c columns) row(line int, fields []string) (Row, error) {
	if len(fields) != c.count {
		email := ""
		if c.email < len(fields) {
			email = fields[c.email]
		}
		return Row{}, &RowError{Line: line, Email: email, Reason: fmt.Sprintf(
			"has %d fields but the header has %d; a value that contains the delimiter "+
				"must be in double quotes", len(fields), c.count)}
	}

	raw := fields[c.email]
	if trimSpace(raw) == "" {
		return Row{}, &RowError{Line: line, Reason: "email is empty"}
	}
	email, err := address.Normalize(raw)
	if err != nil {
		return Row{}, &RowError{Line: line, Email: raw, Reason: "email " + reasonOf(err)}
	}

	row := Row{Line: line, Email: email, Key: address.Key(email)}
	if c.name >= 0 {
		row.Name = trimSpace(fields[c.name])
	}
	if c.attribs >= 0 {
		row.Attribs, err = decodeAttribs(fields[c.attribs])
		if err != nil {
			return Row{}, &RowError{Line: line, Email: raw, Reason: err.Error()}
		}
	}
	for i, key := range c.names {
		if key == "" {
			continue
		}
		v := trimSpace(fields[i])
		if v == "" {
			continue
		}
		if row.Attribs == nil {
			row.Attribs = make(map[string]any, len(c.names))
		}
		row.Attribs[key] = v
	}
	return row, nil
}

func reasonOf(err error) string {
	var ae *address.Error
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return err.Error()
}

// decodeAttribs parses the attribs column: empty or JSON null means none;
// anything else must be one JSON object. Numbers stay json.Number, so large
// integers survive the trip to the database unrounded.
func decodeAttribs(s string) (map[string]any, error) {
	s = trimSpace(s)
	if s == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("attribs is not valid JSON (%v); write it as an object "+
			`such as {"plan": "pro"}, and double each quote inside a quoted CSV field`, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New(`attribs has more after its JSON value; ` +
			`write one object such as {"plan": "pro"}`)
	}
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(m) == 0 {
			return nil, nil
		}
		return m, nil
	}
	return nil, fmt.Errorf(`attribs must be a JSON object such as {"plan": "pro"}, not %s`,
		jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "that value"
}
