package importer

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// readAll reads every row of input, collecting good rows and row errors. Any
// other error fails the test.
func readAll(t *testing.T, input string, opts Options) ([]Row, []*RowError) {
	t.Helper()
	r, err := NewReader(strings.NewReader(input), opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []Row
	var rowErrs []*RowError
	for i := 0; ; i++ {
		if i > 10*len(input)+10 {
			t.Fatal("Next did not reach io.EOF")
		}
		row, err := r.Next()
		if err == io.EOF {
			return rows, rowErrs
		}
		var re *RowError
		if errors.As(err, &re) {
			rowErrs = append(rowErrs, re)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

// lineEndings returns input as given (LF) and with CRLF line ends, the way
// Windows tools write it. Line breaks inside quoted fields change too, as
// they do in real exports.
func lineEndings(input string) map[string]string {
	return map[string]string{
		"LF":   input,
		"CRLF": strings.ReplaceAll(input, "\n", "\r\n"),
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func emails(rows []Row) []string {
	if len(rows) == 0 {
		return nil
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Email
	}
	return out
}

func errLines(errs []*RowError) []int {
	out := make([]int, len(errs))
	for i, e := range errs {
		out[i] = e.Line
	}
	return out
}
