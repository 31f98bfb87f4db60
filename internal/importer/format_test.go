package importer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDelimiters(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opts  Options
	}{
		{"comma", "email,name,city\na@example.com,\"Ann, A\",Oslo\n", Options{}},
		{"semicolon", "email;name;city\na@example.com;Ann, A;Oslo\n", Options{}},
		{"tab", "email\tname\tcity\na@example.com\tAnn, A\tOslo\n", Options{}},
		{"pipe", "Email | Name | City\na@example.com | Ann, A | Oslo\n", Options{}},
		{"quoted header names", "\"email\";\"name\";\"city\"\na@example.com;\"Ann, " +
			"A\";Oslo\n", Options{}},
		{"a comma in a semicolon header", "email;name;city, region\na@example.com;Ann, " +
			"A;Oslo\n", Options{}},
		{"explicit delimiter", "email;name;city\na@example.com;Ann, " +
			"A;Oslo\n", Options{Delimiter: ';'}},
		{"space after delimiter before a quote", "email, name, city\na@example.com, \"Ann, " +
			"A\", Oslo\n", Options{}},
	}
	for _, tc := range tests {
		for ending, input := range lineEndings(tc.input) {
			t.Run(tc.name+" "+ending, func(t *testing.T) {
				rows, errs := readAll(t, input, tc.opts)
				if len(errs) != 0 || len(rows) != 1 {
					t.Fatalf("rows %+v, errors %v; want one row", rows, errs)
				}
				r := rows[0]
				if r.Email != "a@example.com" || r.Name != "Ann, A" || len(r.Attribs) != 1 {
					t.Errorf("row = %+v", r)
				}
				for k, v := range r.Attribs {
					if !strings.HasPrefix(strings.ToLower(k), "city") || v != "Oslo" {
						t.Errorf("attribs = %v, want city Oslo", r.Attribs)
					}
				}
			})
		}
	}
}

func TestTabKeepsEmptyFields(t *testing.T) {
	rows, errs := readAll(t, "email\tname\tcity\tzip\na@example.com\t\t\t0150\n", Options{})
	if len(errs) != 0 || len(rows) != 1 {
		t.Fatalf("rows %+v, errors %v", rows, errs)
	}
	if diff := cmp.Diff(map[string]any{"zip": "0150"}, rows[0].Attribs); diff != "" {
		t.Errorf("attribs (-want +got):\n%s", diff)
	}
}

func TestSingleColumn(t *testing.T) {
	rows, errs := readAll(t, "EMAIL\na@example.com\nb@example.com", Options{})
	if len(errs) != 0 || len(rows) != 2 || rows[1].Email != "b@example.com" {
		t.Errorf("rows %+v, errors %v", rows, errs)
	}
}

func TestAttributes(t *testing.T) {
	input := "email,attributes,plan,Favourite Colour,,\n" +
		`a@example.com,"{""plan"": ""free"", ""n"": 12345678901234567890}",pro,Blue,,` + "\n" +
		"b@example.com,,,,ignored,\n" +
		"c@example.com,null, , ,,\n"
	rows, errs := readAll(t, input, Options{})
	if len(errs) != 0 || len(rows) != 3 {
		t.Fatalf("rows %+v, errors %v", rows, errs)
	}
	a := rows[0].Attribs
	if a["plan"] != "pro" || a["Favourite Colour"] != "Blue" || len(a) != 3 {
		t.Errorf("a attribs = %v: the plan column must win over the JSON key", a)
	}
	if n, ok := a["n"].(interface{ String() string }); !ok || n.String() != "12345678901234567890" {
		t.Errorf("a attribs n = %#v, want the number kept exactly", a["n"])
	}
	if rows[1].Attribs != nil || rows[2].Attribs != nil {
		t.Errorf("b, c attribs = %v, %v; want none", rows[1].Attribs, rows[2].Attribs)
	}
}

func TestBlankRowsSkipped(t *testing.T) {
	input := "email,name\n\n,\na@example.com,A\n \t , \n\r\nb@example.com,B\n\n"
	rows, errs := readAll(t, input, Options{})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(rows) != 2 || rows[0].Line != 4 || rows[1].Line != 7 {
		t.Errorf("rows = %+v, want lines 4 and 7", rows)
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name, input string
		opts        Options
		want        []string // substrings of the error
	}{
		{"empty file", "", Options{}, []string{"empty", `"email"`}},
		{"only blank lines", "\n\r\n\n", Options{}, []string{"empty"}},
		{"only a BOM", "\ufeff", Options{}, []string{"empty"}},
		{"BOM on a line of its own", "\ufeff\n", Options{}, []string{"empty"}},
		{"no email column", "e-mail;Name\nx@example.com;X\n", Options{},
			[]string{`no "email" column`, `"e-mail", "Name"`, "semicolons", `name the column`}},
		{"email in the wrong place", "name,mail address\n", Options{}, []string{`"name", "mail address"`}},
		{"duplicate column", "email,city,City\n", Options{}, []string{`columns 2 ("city") and 3 ("City")`}},
		{"attribs twice", "email,attribs,attributes\n", Options{}, []string{"same name"}},
		{"malformed header", "email,\"na\"me\n", Options{}, []string{"malformed CSV"}},
		{"header not UTF-8", "email,st\xe4dt\n", Options{}, []string{"not valid UTF-8"}},
		{"UTF-16 file", "\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00", Options{}, []string{"UTF-16"}},
		{"CR line ends", "email,name\ra@example.com,A\rb@example.com,B\r", Options{},
			[]string{"carriage return alone"}},
		{"unterminated quote in the header", "email,\"name\na@example.com,A\n", Options{},
			[]string{"not closed"}},
		{"bad delimiter option", "email\n", Options{Delimiter: '"'}, []string{"delimiter"}},
		{"non-ASCII delimiter option", "email\n", Options{Delimiter: '§'}, []string{"delimiter"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.input), tc.opts)
			if err == nil {
				t.Fatal("NewReader succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestHeaderOnly(t *testing.T) {
	for _, input := range []string{"email,name", "email,name\n", "\ufeffemail;name\r\n\r\n"} {
		rows, errs := readAll(t, input, Options{})
		if len(rows)+len(errs) != 0 {
			t.Errorf("%q: rows %v, errors %v; want none", input, rows, errs)
		}
	}
}
