package importer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMalformedRows: each bad row is reported on its own line and the rows
// around it are imported, whatever is wrong with it.
func TestMalformedRows(t *testing.T) {
	const header = "email,name,city\n"
	tests := []struct {
		name      string
		body      string // rows after the header, which is line 1
		opts      Options
		wantRows  []string
		wantLines []int
		reason    string // substring of the first error's reason
	}{
		{"bare quote in an unquoted field",
			"a@example.com,A,Oslo\nb@example.com,Bob\"s,Paris\nc@example.com,C,Rome\n",
			Options{}, []string{"a@example.com", "c@example.com"}, []int{3}, `bare "`},
		{"text after a closing quote",
			"a@example.com,\"Jane\"x,Rome\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, `extraneous or missing "`},
		{"unterminated quote, no quote after it",
			"a@example.com,A,Oslo\nz@example.com,\"Zed,Rome\nc@example.com,C,Rome\nd@example.com,D,Oslo\n",
			Options{}, []string{"a@example.com", "c@example.com", "d@example.com"}, []int{3}, "not closed before the end"},
		{"unterminated quote, a later quoted field",
			"z@example.com,\"Zed,Rome\na@example.com,Ann,Oslo\nb@example.com,\"Bee\",Rome\nc@example.com,C,Rome\n",
			Options{}, []string{"a@example.com", "b@example.com", "c@example.com"}, []int{2}, "malformed CSV"},
		{"unterminated quote past MaxRecordBytes",
			"z@example.com,\"Zed,Rome\n" + strings.Repeat("a@example.com,Ann,Oslo\n", 10),
			Options{MaxRecordBytes: 100}, repeat("a@example.com", 10), []int{2}, "still open after 100 bytes"},
		{"line longer than MaxRecordBytes",
			"a@example.com,A," + strings.Repeat("x", 200) + "\nc@example.com,C,Rome\n",
			Options{MaxRecordBytes: 100}, []string{"c@example.com"}, []int{2}, "longer than 100 bytes"},
		{"quoted field running into a too-long line",
			"z@example.com,\"Zed,Rome\na@example.com,Ann,Oslo\n" + strings.Repeat("y", 300) + "\nc@example.com,C,Rome\n",
			Options{MaxRecordBytes: 100}, []string{"a@example.com", "c@example.com"}, []int{2}, "line 4"},
		{"too few fields",
			"a@example.com,A\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, "has 2 fields but the header has 3"},
		{"too many fields",
			"a@example.com,Doe, Ann,Oslo\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, "double quotes"},
		{"empty email",
			" ,A,Oslo\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, "email is empty"},
		{"invalid email",
			"a@localhost,A,Oslo\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, `email domain "localhost" has no dot`},
		{"display name in the email column",
			"\"Ann <a@example.com>\",A,Oslo\n",
			Options{}, nil, []int{2}, "own column"},
		{"Latin-1 row",
			"a@example.com,A,K\xf6ln\nc@example.com,C,Rome\n",
			Options{}, []string{"c@example.com"}, []int{2}, "not valid UTF-8 (byte 0xF6 at " +
				"byte 18)"},
	}
	for _, tc := range tests {
		for ending, input := range lineEndings(header + tc.body) {
			t.Run(tc.name+" "+ending, func(t *testing.T) {
				rows, errs := readAll(t, input, tc.opts)
				if diff := cmp.Diff(tc.wantRows, emails(rows)); diff != "" {
					t.Errorf("emails (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantLines, errLines(errs)); diff != "" {
					t.Fatalf("error lines (-want +got):\n%s\nerrors: %v", diff, errs)
				}
				if !strings.Contains(errs[0].Reason, tc.reason) {
					t.Errorf("reason %q does not mention %q", errs[0].Reason, tc.reason)
				}
			})
		}
	}
}

func TestAttribsErrors(t *testing.T) {
	input := "email,attribs\n" +
		"a@example.com,\"{\"\"plan\"\": pro}\"\n" +
		"b@example.com,\"[1,2]\"\n" +
		"c@example.com,\"{\"\"a\"\":1} {}\"\n" +
		"d@example.com,\"{\"\"ok\"\": true}\"\n"
	rows, errs := readAll(t, input, Options{})
	if diff := cmp.Diff([]string{"d@example.com"}, emails(rows)); diff != "" {
		t.Errorf("emails (-want +got):\n%s", diff)
	}
	wantReasons := []string{"not valid JSON", "not an array", "more after"}
	if len(errs) != len(wantReasons) {
		t.Fatalf("errors = %v", errs)
	}
	for i, e := range errs {
		if e.Line != i+2 || !strings.Contains(e.Reason, wantReasons[i]) || e.Email == "" {
			t.Errorf("error %d = %+v, want line %d mentioning %q", i, e, i+2, wantReasons[i])
		}
	}
}

// TestBadRowsAmongGood is 20 bad rows of different kinds spread through
// 1000 good ones: every good row arrives, and every bad one is named.
func TestBadRowsAmongGood(t *testing.T) {
	bad := []string{
		"bad@localhost,X,Y",
		"bad@example.com,Bob\"s,Y",
		"bad@example.com,X",
		",X,Y",
		"b\u200bad@example.com,X,Y",
		"bad@example.com,X,K\xf6ln",
		"bad@example.com,\"X\"y,Z",
	}
	var b strings.Builder
	b.WriteString("email,name,city\n")
	line := 1
	var wantLines []int
	good := 0
	for i := 0; good < 1000; i++ {
		line++
		if i%50 == 25 {
			b.WriteString(bad[len(wantLines)%len(bad)] + "\n")
			wantLines = append(wantLines, line)
			continue
		}
		fmt.Fprintf(&b, "user%d@example.com,\"User, %d\",City %d\n", good, good, good)
		good++
	}
	if len(wantLines) != 20 {
		t.Fatalf("generated %d bad rows, want 20", len(wantLines))
	}
	for ending, input := range lineEndings(b.String()) {
		t.Run(ending, func(t *testing.T) {
			rows, errs := readAll(t, input, Options{})
			if len(rows) != 1000 {
				t.Errorf("got %d rows, want 1000", len(rows))
			}
			for i, r := range rows {
				if want := fmt.Sprintf("user%d@example.com", i); r.Email != want {
					t.Fatalf("row %d = %q, want %q", i, r.Email, want)
				}
			}
			if diff := cmp.Diff(wantLines, errLines(errs)); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
