package activities

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/pacer-email/pacer/internal/mailid"
	"github.com/pacer-email/pacer/internal/message"
	"github.com/pacer-email/pacer/internal/render"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/tracking"
)

// composed is one recipient's message, ready for SMTP.
type composed struct {
	// From is the envelope sender: the VERP return path.
	From string
	To   string
	Body []byte
}

// composer renders one campaign's messages. It is built once per campaign
// and worker and is safe for concurrent use.
type composer struct {
	camp     store.Campaign
	tmpl     *render.Template
	tracker  *tracking.Tracker
	signer   *mailid.Signer
	domain   string
	bufs     *sync.Pool
	builders *sync.Pool
	// dkim signs every message; nil when the sending domain has no key.
	dkim   *message.DKIMKey
	loaded time.Time
}

// campaignState caches a campaign's composer.
type campaignState struct {
	comp *composer
}

// campaignReload is how long a cached composer is used before the campaign
// row is read again.
const campaignReload = time.Minute

func (a *Activities) composer(ctx context.Context, campaignID int64) (*composer, error) {
	a.mu.Lock()
	if a.campaigns == nil {
		a.campaigns = map[int64]*campaignState{}
	}
	st := a.campaigns[campaignID]
	a.mu.Unlock()
	if st != nil && time.Since(st.comp.loaded) < campaignReload {
		return st.comp, nil
	}
	camp, err := a.DB.GetCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	tmpl, err := render.Compile(camp.Subject, camp.HTMLBody, camp.TextBody)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", campaignID, err)
	}
	tracker, err := tracking.New(a.Signer, a.Config.PublicURL)
	if err != nil {
		return nil, err
	}
	c := &composer{camp: camp, tmpl: tmpl, tracker: tracker, signer: a.Signer,
		domain: a.Config.BounceDomain, loaded: time.Now()}
	if err := a.useSendingDomain(ctx, c); err != nil {
		return nil, err
	}
	c.bufs = &sync.Pool{New: func() any { return new(render.Buffers) }}
	c.builders = &sync.Pool{New: func() any { return new(message.Builder) }}
	a.mu.Lock()
	a.campaigns[campaignID] = &campaignState{comp: c}
	a.mu.Unlock()
	return c, nil
}

// Compose renders and builds the message for one recipient, appending the
// message bytes to buf.
func (c *composer) Compose(rc store.Recipient, buf []byte) (composed, error) {
	return c.compose(rc, buf, "")
}

func (c *composer) compose(rc store.Recipient, buf []byte, subjectPrefix string) (composed, error) {
	id := mailid.ID{CampaignID: c.camp.ID, SubscriberID: rc.SubscriberID}
	unsubscribe := c.tracker.UnsubscribeURL(id)
	bufs := c.bufs.Get().(*render.Buffers)
	defer c.bufs.Put(bufs)
	data := render.Data{
		Subscriber:     render.Subscriber{ID: rc.SubscriberID, Email: rc.Email, Name: rc.Name, Attribs: rc.Attribs},
		Campaign:       render.Campaign{ID: c.camp.ID, Name: c.camp.Name},
		UnsubscribeURL: unsubscribe,
	}
	if err := c.tmpl.RenderTo(bufs, data); err != nil {
		return composed{}, fmt.Errorf("render campaign %d for subscriber %d: %w", c.camp.ID, rc.SubscriberID, err)
	}
	html, text := bufs.HTML.String(), bufs.Text.String()
	if c.camp.Track {
		tm := tracking.Message{ID: id, UnsubscribeURL: unsubscribe}
		if html != "" {
			html = c.tracker.AddOpenPixel(c.tracker.Rewrite(html, tm), id)
		}
		text = c.tracker.RewriteText(text, tm)
	}
	m := message.Message{
		From:               mail.Address{Name: c.camp.FromName, Address: c.camp.FromEmail},
		To:                 mail.Address{Name: rc.Name, Address: rc.Email},
		ReplyTo:            mail.Address{Address: c.camp.ReplyTo},
		Subject:            subjectPrefix + bufs.Subject.String(),
		HTML:               html,
		Text:               text,
		MessageID:          c.signer.MessageID(id, c.domain),
		ListUnsubscribeURL: unsubscribe, ListUnsubscribeMailto: c.signer.UnsubscribeAddress(id, c.domain),
		Headers: []message.Field{{Key: mailid.HeaderName, Value: c.signer.Token(id)}},
	}
	b := c.builders.Get().(*message.Builder)
	defer c.builders.Put(b)
	body, err := b.Build(&m, c.dkim)
	if err != nil {
		return composed{}, fmt.Errorf("build message of campaign %d for subscriber %d: %w", c.camp.ID, rc.SubscriberID, err)
	}
	return composed{From: c.signer.ReturnPath(id, c.domain), To: rc.Email, Body: append(buf, body...)}, nil
}
