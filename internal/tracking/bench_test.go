package tracking

import (
	"os"
	"testing"

	"github.com/pacer-email/pacer/internal/render"
)

// renderedNewsletter renders the render package's 3 KB benchmark campaign.
func renderedNewsletter(b *testing.B, tr *Tracker) render.Rendered {
	b.Helper()
	src, err := os.ReadFile("../render/testdata/newsletter.html")
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := render.Compile("Hi", string(src), "")
	if err != nil {
		b.Fatal(err)
	}
	r, err := tmpl.Render(render.Data{
		Subscriber: render.Subscriber{ID: testID.SubscriberID, Email: "ana@example.com", Name: "Ana",
			Attribs: map[string]any{"venue": "Restaurant Komé", "city": "Lyon"}},
		Campaign:       render.Campaign{ID: testID.CampaignID, Name: "Spring"},
		UnsubscribeURL: tr.UnsubscribeURL(testID),
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkRewrite(b *testing.B) {
	tr := newTestTracker(b)
	r := renderedNewsletter(b, tr)
	unsub := tr.UnsubscribeURL(testID)
	registered := NewLinks(tr.CollectLinks(r.HTML, r.Text, unsub))
	for _, bc := range []struct {
		name  string
		links *Links
	}{{"inline", nil}, {"registered", registered}} {
		b.Run(bc.name, func(b *testing.B) {
			m := Message{ID: testID, UnsubscribeURL: unsub, Links: bc.links}
			var buf []byte
			b.ReportAllocs()
			b.SetBytes(int64(len(r.HTML)))
			for b.Loop() {
				buf = tr.AppendRewrite(buf[:0], r.HTML, m)
			}
		})
	}
}

func BenchmarkRewriteText(b *testing.B) {
	tr := newTestTracker(b)
	r := renderedNewsletter(b, tr)
	m := Message{ID: testID, UnsubscribeURL: tr.UnsubscribeURL(testID)}
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(r.Text)))
	for b.Loop() {
		buf = tr.AppendRewriteText(buf[:0], r.Text, m)
	}
}

func BenchmarkClassifyAgent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ClassifyAgent(iPhoneAgent, "203.0.113.7:4711", 0)
	}
}
