package message

import (
	"os"
	"testing"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/render"
	"github.com/pacer-email/pacer/internal/tracking"
)

// sendPath contains what a sending worker keeps per campaign.
type sendPath struct {
	tmpl    *render.Template
	tracker *tracking.Tracker
	signer  *mailid.Signer
}

func newSendPath(b *testing.B) sendPath {
	b.Helper()
	src, err := os.ReadFile("../render/testdata/newsletter.html")
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := render.Compile("{{ .Subscriber.Attribs.venue }} – your table is ready 🍜", string(src), "")
	if err != nil {
		b.Fatal(err)
	}
	signer, err := mailid.NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		b.Fatal(err)
	}
	tracker, err := tracking.New(signer, "https://news.example.org")
	if err != nil {
		b.Fatal(err)
	}
	return sendPath{tmpl: tmpl, tracker: tracker, signer: signer}
}

// prepare renders and tracks the message for one subscriber, as the send
// activity does.
func (p sendPath) prepare(b *testing.B, buf *render.Buffers, html, text []byte,
	subscriber int64) ([]byte, []byte, *Message) {
	id := mailid.ID{CampaignID: 12, SubscriberID: subscriber}
	unsub := p.tracker.UnsubscribeURL(id)
	err := p.tmpl.RenderTo(buf, render.Data{
		Subscriber: render.Subscriber{ID: subscriber, Email: "ana@example.com", Name: "Ana",
			Attribs: map[string]any{"venue": "Restaurant Komé", "city": "Lyon"}},
		Campaign:       render.Campaign{ID: 12, Name: "Spring"},
		UnsubscribeURL: unsub,
	})
	if err != nil {
		b.Fatal(err)
	}
	tm := tracking.Message{ID: id, UnsubscribeURL: unsub}
	html = p.tracker.AppendRewrite(html[:0], buf.HTML.String(), tm)
	html = p.tracker.AppendOpenPixel(nil, string(html), id)
	text = p.tracker.AppendRewriteText(text[:0], buf.Text.String(), tm)
	return html, text, &Message{
		From:                  mail.Address{Name: "Example Kitchen", Address: "news@news.example.org"},
		To:                    mail.Address{Name: "Ana", Address: "ana@example.com"},
		Subject:               buf.Subject.String(),
		HTML:                  string(html),
		Text:                  string(text),
		MessageID:             p.signer.MessageID(id, "news.example.org"),
		ListUnsubscribeURL:    unsub,
		ListUnsubscribeMailto: p.signer.UnsubscribeAddress(id, "news.example.org"),
		Headers:               []Field{{mailid.HeaderName, p.signer.Token(id)}},
	}
}

// BenchmarkBuildAndSign builds and signs a message with a 3 KB personalised
// HTML body and its text part.
func BenchmarkBuildAndSign(b *testing.B) {
	p := newSendPath(b)
	var buf render.Buffers
	_, _, m := p.prepare(b, &buf, nil, nil, 345)
	for _, alg := range []string{"unsigned", "rsa", "ed25519"} {
		b.Run(alg, func(b *testing.B) {
			key := dkimKeys(b)[alg]
			var builder Builder
			b.ReportAllocs()
			for b.Loop() {
				out, err := builder.Build(m, key)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}

// BenchmarkPerRecipient is the whole per-recipient path: render, track,
// build and sign with Ed25519.
func BenchmarkPerRecipient(b *testing.B) {
	p := newSendPath(b)
	key := dkimKeys(b)["ed25519"]
	var (
		buf        render.Buffers
		html, text []byte
		builder    Builder
	)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var m *Message
		html, text, m = p.prepare(b, &buf, html, text, int64(i+1))
		if _, err := builder.Build(m, key); err != nil {
			b.Fatal(err)
		}
	}
}
