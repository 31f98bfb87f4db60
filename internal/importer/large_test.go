package importer

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
)

// TestAgreesWithEncodingCSV: on valid CSV the framing must give exactly
// what encoding/csv gives for the whole file, whatever the fields hold.
func TestAgreesWithEncodingCSV(t *testing.T) {
	alphabet := []string{"a", "b", " ", ",", ";", "\t", "|", `"`, "\n", "\r\n", "\u00a0", "ö", "x y"}
	rng := rand.New(rand.NewSource(1))
	field := func() string {
		var b strings.Builder
		for n := rng.Intn(6); n > 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	for _, delim := range []rune{',', ';', '\t', '|'} {
		for _, crlf := range []bool{false, true} {
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			w.Comma, w.UseCRLF = delim, crlf
			w.Write([]string{"email", "p", "q"})
			want := make([][2]string, 500)
			for i := range want {
				want[i] = [2]string{field(), field()}
				w.Write([]string{fmt.Sprintf("u%d@example.com", i), want[i][0], want[i][1]})
			}
			w.Flush()

			rows, errs := readAll(t, buf.String(), Options{Delimiter: delim})
			if len(errs) != 0 || len(rows) != len(want) {
				t.Fatalf("delim %q crlf %v: %d rows, errors %v", delim, crlf, len(rows), errs)
			}
			for i, r := range rows {
				for j, key := range []string{"p", "q"} {
					exp := trimSpace(strings.ReplaceAll(want[i][j], "\r\n", "\n"))
					got, _ := r.Attribs[key].(string)
					if got != exp {
						t.Fatalf("delim %q crlf %v row %d %s = %q, want "+
							"%q", delim, crlf, i, key, got, exp)
					}
				}
			}
		}
	}
}

// rowSource generates a subscriber file of n rows on the fly, so that the
// test measures the Reader's memory and not the input's. With json set,
// every row also carries a JSON attribs field.
type rowSource struct {
	n, i int
	json bool
	buf  []byte
}

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		switch {
		case s.i == 0 && s.json:
			s.buf = append(s.buf, "email,name,city,attribs\r\n"...)
		case s.i == 0:
			s.buf = append(s.buf, "email,name,city,plan\r\n"...)
		case s.json:
			s.buf = fmt.Appendf(s.buf, "user%d@example.com,\"Name %d\",Berlin,\"{\"\"n\"\": "+
				"%d}\"\r\n", s.i, s.i, s.i)
		default:
			s.buf = fmt.Appendf(s.buf, "user%d@example.com,\"Name, %d\",Berlin,pro\r\n", s.i, s.i)
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLargeFileMemory reads 200,000 rows and checks that the live heap stays
// flat: the Reader keeps one record, not the file.
func TestLargeFileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200,000 rows")
	}
	const n = 200_000
	const limit = 4 << 20
	base := heapInUse()
	r, err := NewReader(&rowSource{n: n, json: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	for i := 1; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			if i-1 != n {
				t.Fatalf("read %d rows, want %d", i-1, n)
			}
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if row.Line != i+1 {
			t.Fatalf("row %d has line %d", i, row.Line)
		}
		if i%20_000 == 0 {
			if h := heapInUse(); h > base && h-base > peak {
				peak = h - base
			}
		}
	}
	t.Logf("peak live heap above the start: %d KiB", peak>>10)
	if peak > limit {
		t.Errorf("live heap grew by %d bytes while reading, want under %d", peak, limit)
	}
}

// BenchmarkReader reads a 100,000-row file, with plain columns and with a
// JSON attribs column, and reports rows per second.
func BenchmarkReader(b *testing.B) {
	for _, json := range []bool{false, true} {
		name := "columns"
		if json {
			name = "json_attribs"
		}
		b.Run(name, func(b *testing.B) { benchmarkReader(b, json) })
	}
}

func benchmarkReader(b *testing.B, json bool) {
	const n = 100_000
	input, err := io.ReadAll(&rowSource{n: n, json: json})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := NewReader(bytes.NewReader(input), Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
