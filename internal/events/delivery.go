package events

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/tracking"
)

// deliveryLookupTimeout bounds the done_at query of one batch; past it the
// batch is written without the check.
const deliveryLookupTimeout = 5 * time.Second

// needsDeliveryCheck reports whether e is an open or click that the agent
// and address checks took for a person.
func needsDeliveryCheck(e *store.Event) bool {
	if e.Machine || (e.Kind != store.EventOpen && e.Kind != store.EventClick) {
		return false
	}
	_, classified := e.Detail[DetailAgent]
	return !classified
}

// markTooSoon marks the opens and clicks of batch that came less than
// tracking.MinHumanDelay after their message was delivered as machine
// traffic. Events of messages without a done_at keep their verdict.
func (w *Writer) markTooSoon(batch []store.Event) {
	var keys []store.SendKey
	seen := map[store.SendKey]bool{}
	for i := range batch {
		if !needsDeliveryCheck(&batch[i]) {
			continue
		}
		k := store.SendKey{CampaignID: batch[i].CampaignID, SubscriberID: batch[i].SubscriberID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(w.ctx, deliveryLookupTimeout)
	defer cancel()
	doneAt, err := w.db.DoneAt(ctx, keys)
	if err != nil {
		w.log.Warn("delivery times not read; writing events without the timing check",
			zap.Int("events", len(batch)), zap.Error(err))
		return
	}
	for i := range batch {
		e := &batch[i]
		if !needsDeliveryCheck(e) {
			continue
		}
		at, ok := doneAt[store.SendKey{CampaignID: e.CampaignID, SubscriberID: e.SubscriberID}]
		if !ok {
			continue
		}
		// The same rule as tracking.ClassifyAgent's last check, which the
		// handler could not apply without the delivery time.
		if e.CreatedAt.Sub(at) < tracking.MinHumanDelay {
			e.Machine = true
			e.Detail = withDetail(e.Detail, DetailAgent, tracking.ReasonTooSoon)
		}
	}
}

// withDetail returns a copy of d with key set, so a map shared with the
// caller of Add is never written.
func withDetail(d map[string]any, key string, value any) map[string]any {
	out := make(map[string]any, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	out[key] = value
	return out
}
