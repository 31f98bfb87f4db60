package importer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pacer-email/pacer/internal/address"
)

// TestC01InvisibleCharacters is case C01: a BOM, padding spaces and a NBSP
// around header names and addresses.
func TestC01InvisibleCharacters(t *testing.T) {
	for name, input := range lineEndings(readFile(t, "c01.csv")) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, input, Options{})
			if len(errs) != 0 {
				t.Fatalf("row errors: %v", errs)
			}
			want := []Row{
				{Line: 2, Email: "alice@example.com", Key: "alice@example.com", Name: "Alice", Attribs: map[string]any{"city": "Berlin"}},
				{Line: 3, Email: "bob@example.net", Key: "bob@example.net", Name: "Bob", Attribs: map[string]any{"city": "Paris"}},
				{Line: 4, Email: "carol@example.com", Key: "carol@example.com", Name: "Carol", Attribs: map[string]any{"city": "Rome"}},
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestC01InvisibleInsideAddress: invisible or control characters that remain
// inside an address reject that row, by line, and the rest is imported.
func TestC01InvisibleInsideAddress(t *testing.T) {
	input := "\ufeffemail,name\n" +
		"ok1@example.com,One\n" +
		"zw\u200bsp@example.com,ZWSP\n" +
		"nb\u00a0sp@example.com,NBSP\n" +
		"soft\u00adhyphen@example.com,Soft hyphen\n" +
		"\"tab\there@example.com\",Tab\n" +
		"bidi@example.com\u202e,Bidi\n" +
		"ok2@example.com,Two\n"
	for name, in := range lineEndings(input) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, in, Options{})
			if diff := cmp.Diff([]string{"ok1@example.com", "ok2@example.com"}, emails(rows)); diff != "" {
				t.Errorf("emails (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int{3, 4, 5, 6, 7}, errLines(errs)); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
			for _, e := range errs {
				if !strings.HasPrefix(e.Reason, "email has ") || e.Email == "" {
					t.Errorf("line %d: Email %q, Reason %q", e.Line, e.Email, e.Reason)
				}
			}
		})
	}
}

// TestC02CaseDuplicates is case C02: the Reader keeps every row, and rows
// for one person share a key that also matches the stored spelling.
func TestC02CaseDuplicates(t *testing.T) {
	for name, input := range lineEndings(readFile(t, "c02.csv")) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, input, Options{})
			if len(errs) != 0 {
				t.Fatalf("row errors: %v", errs)
			}
			got := make([][3]string, len(rows))
			for i, r := range rows {
				got[i] = [3]string{r.Email, r.Key, r.Name}
			}
			want := [][3]string{
				{"Alice@example.com", "alice@example.com", "Alice A"},
				{"alice@example.com", "alice@example.com", "Alice B"},
				{"ALICE@example.com", "alice@example.com", "Alice C"},
				{"dave@example.com", "dave@example.com", "Dave"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if stored := address.Key("Dave@Example.com"); rows[3].Key != stored {
				t.Errorf("dave's key %q does not match the stored subscriber's "+
					"%q", rows[3].Key, stored)
			}
		})
	}
}

// TestC03Semicolon is case C03 input A: semicolons, a quoted delimiter,
// UTF-8 and a line break inside a quoted field.
func TestC03Semicolon(t *testing.T) {
	for name, input := range lineEndings(readFile(t, "c03a.csv")) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, input, Options{})
			if len(errs) != 0 {
				t.Fatalf("row errors: %v", errs)
			}
			want := []Row{
				{Line: 2, Email: "eve@example.com", Key: "eve@example.com", Name: "Doe; Eve", Attribs: map[string]any{"city": "Köln"}},
				{Line: 3, Email: "frank@example.net", Key: "frank@example.net", Name: "Frank", Attribs: map[string]any{"city": "Line one\nline two"}},
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestC03JSONAttribs is case C03 input B: a JSON attribs column with doubled
// quotes, and a quoted name with a comma.
func TestC03JSONAttribs(t *testing.T) {
	for name, input := range lineEndings(readFile(t, "c03b.csv")) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, input, Options{})
			if len(errs) != 0 {
				t.Fatalf("row errors: %v", errs)
			}
			if len(rows) != 2 {
				t.Fatalf("got %d rows, want 2", len(rows))
			}
			if rows[0].Name != "Roe, Grace" {
				t.Errorf("name = %q, want %q", rows[0].Name, "Roe, Grace")
			}
			got, _ := json.Marshal(rows[0].Attribs)
			if want := `{"plan":"pro","tags":["a","b"]}`; string(got) != want {
				t.Errorf("attribs = %s, want %s", got, want)
			}
			if rows[1].Email != "heidi@example.org" || rows[1].Attribs != nil {
				t.Errorf("heidi = %+v, want no attribs", rows[1])
			}
		})
	}
}

// TestC03LineNumbersAfterMultiLineField: a record spanning lines moves the
// line numbers of the rows after it, and errors name physical lines.
func TestC03LineNumbersAfterMultiLineField(t *testing.T) {
	input := "email;name;notes\n" +
		"a@example.com;A;\"one\ntwo\nthree\"\n" +
		"bad-address;B;x\n" +
		"c@example.com;C;y\n"
	for name, in := range lineEndings(input) {
		t.Run(name, func(t *testing.T) {
			rows, errs := readAll(t, in, Options{})
			if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 6 {
				t.Errorf("rows = %+v, want lines 2 and 6", rows)
			}
			if diff := cmp.Diff([]int{5}, errLines(errs)); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
		})
	}
}
