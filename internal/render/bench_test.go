package render

import (
	"bytes"
	"os"
	"testing"
)

// newsletter compiles testdata/newsletter.html, a 3 KB personalised
// campaign with ten links.
func newsletter(tb testing.TB) *Template {
	tb.Helper()
	html, err := os.ReadFile("testdata/newsletter.html")
	if err != nil {
		tb.Fatal(err)
	}
	tmpl, err := Compile("{{ .Subscriber.Attribs.venue }} – your table is ready 🍜", string(html), "")
	if err != nil {
		tb.Fatal(err)
	}
	return tmpl
}

func benchData() Data {
	return subscriber(map[string]any{"venue": "Restaurant Komé", "city": "Lyon"})
}

func BenchmarkRender(b *testing.B) {
	tmpl := newsletter(b)
	d := benchData()
	var buf Buffers
	b.ReportAllocs()
	for b.Loop() {
		if err := tmpl.RenderTo(&buf, d); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.HTML.Len() + buf.Text.Len()))
}

func BenchmarkHTMLToText(b *testing.B) {
	tmpl := newsletter(b)
	r, err := tmpl.Render(benchData())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(r.HTML)))
	for b.Loop() {
		HTMLToText(r.HTML)
	}
}

func TestNewsletterRenders(t *testing.T) {
	r, err := newsletter(t).Render(benchData())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HTML) < 3000 {
		t.Errorf("rendered HTML is %d bytes, want about 3 KB for the benchmarks", len(r.HTML))
	}
	t.Logf("subject %q\n%s", r.Subject, r.Text)
}

// BenchmarkFastText measures the text part made by the derived template,
// the part of BenchmarkRender that replaces BenchmarkHTMLToText.
func BenchmarkFastText(b *testing.B) {
	tmpl := newsletter(b)
	if tmpl.fast == nil {
		b.Fatal("newsletter.html has no fast text path")
	}
	d := benchData()
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := tmpl.fast.render(&out, d); err != nil {
			b.Fatal(err)
		}
	}
}
