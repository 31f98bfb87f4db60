package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/pacer-email/pacer/internal/address"
	"github.com/pacer-email/pacer/internal/store"
)

// TestMessageInput names a campaign, the addresses to send a test copy to
// and the server to send it through.
type TestMessageInput struct {
	CampaignID int64
	ServerID   int64
	Emails     []string
}

// TestResult is the outcome of one test copy.
type TestResult struct {
	Email string `json:"email"`
	OK    bool   `json:"ok"`
	Reply string `json:"reply"`
}

// SendTestMessages sends one copy of a campaign to each address, rendered
// for the subscriber with that address when there is one and for a sample
// subscriber otherwise. Test copies are not recorded as sends, not paced
// and not retried; the subject starts with "[Test]".
func (a *Activities) SendTestMessages(ctx context.Context, in TestMessageInput) ([]TestResult, error) {
	a.observeActivity("SendTestMessages")
	comp, err := a.composer(ctx, in.CampaignID)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
	}
	srv, err := a.server(ctx, in.ServerID)
	if err != nil {
		return nil, err
	}
	out := make([]TestResult, 0, len(in.Emails))
	for _, email := range in.Emails {
		rc := store.Recipient{Email: email, Name: "Test Recipient", Attribs: map[string]any{}, Status: store.SubscriberActive}
		if sub, err := a.DB.FindSubscriberByKey(ctx, address.Key(email)); err == nil {
			rc = store.Recipient{SubscriberID: sub.ID, Email: sub.Email, Name: sub.Name,
				Attribs: sub.Attribs, Status: sub.Status}
		}
		msg, err := comp.ComposeTest(rc)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
		}
		conn, err := srv.pool.Get(ctx)
		if err != nil {
			out = append(out, TestResult{Email: email, Reply: err.Error()})
			continue
		}
		res := conn.Send(msg.From, msg.To, msg.Body, func() error { return nil })
		srv.pool.Put(conn)
		v := classify(res)
		out = append(out, TestResult{Email: email, OK: v.action == actDelivered, Reply: v.text()})
	}
	return out, nil
}

// ComposeTest builds a test copy for rc: tracking is off and the subject
// starts with "[Test]".
func (c *composer) ComposeTest(rc store.Recipient) (composed, error) {
	test := *c
	test.camp.Track = false
	msg, err := test.compose(rc, nil, "[Test] ")
	if err != nil {
		return composed{}, fmt.Errorf("test copy to %s: %w", rc.Email, err)
	}
	return msg, nil
}
