package activities

import (
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/smtpreply"
	"github.com/pacer-email/pacer/internal/store"
)

func TestOutcomeForLastAttempt(t *testing.T) {
	now := time.Now()
	rc := store.Recipient{SubscriberID: 1, Attempts: 2}
	cases := []struct {
		name       string
		reply      string
		wantStatus string
		wantReason string
	}{
		{"mailbox full", "452 4.2.2 The email account that you tried to reach is over quota",
			store.SendSoftBounced, store.ReasonSoftBounce},
		{"greylisted", "451 4.7.1 Greylisted, try again later", store.SendFailed, store.ReasonRetriesExhausted},
		{"busy", "450 4.0.0 Try again later", store.SendFailed, store.ReasonRetriesExhausted},
		{"mailbox unavailable", "450 4.2.0 mailbox temporarily unavailable", store.SendFailed, store.ReasonRetriesExhausted},
	}
	for _, c := range cases {
		r, err := smtpreply.Parse(c.reply)
		if err != nil {
			t.Fatal(err)
		}
		v := verdict{action: actRetry, class: smtpreply.Retry, stage: smtpreply.Rcpt, reply: r}
		o := outcomeFor(v, rc, 3, now)
		if o.Status != c.wantStatus || o.Reason != c.wantReason {
			t.Errorf("%s on the last attempt: %s/%s, want %s/%s", c.name, o.Status, o.Reason, c.wantStatus, c.wantReason)
		}
		if early := outcomeFor(v, store.Recipient{SubscriberID: 1}, 3, now); early.Status != store.SendRetry {
			t.Errorf("%s on the first attempt: %s, want retry", c.name, early.Status)
		}
	}
}
