package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-email/pacer/internal/address"
	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/store"
)

// MatchAddress marks a verdict tied to its subscriber by the reported
// address alone, after no identifier of ours matched.
const MatchAddress bounce.MatchedBy = "address"

// Effects of one verdict, stored with it.
const (
	EffectNone         = "none"         // delayed, auto-reply: nothing changes
	EffectCounted      = "counted"      // recorded: below its threshold, or the subscriber was inactive
	EffectBounced      = "bounced"      // the subscriber is now bounced
	EffectComplained   = "complained"   // the subscriber is now complained
	EffectUnsubscribed = "unsubscribed" // the subscriber is now unsubscribed
	EffectUnmatched    = "unmatched"    // no subscriber found; left for an operator
)

// StoredVerdict is a verdict as stored with its inbound message: the
// parser's verdict, the subscriber it reached (SubscriberID, MatchedBy and
// Email) and what it changed.
type StoredVerdict struct {
	bounce.Verdict
	Email  string `json:"email,omitempty"`
	Effect string `json:"effect"`
}

// actionable reports whether a verdict can change a subscriber.
func actionable(k bounce.VerdictKind) bool {
	return k == bounce.Hard || k == bounce.Soft || k == bounce.Complaint || k == bounce.Unsubscribe
}

// planInbound turns a report into the events and status changes to apply.
// Each hard or soft verdict becomes a 'bounce' event, each complaint a
// 'complaint' event and each unsubscribe request an 'unsubscribe' event, on
// the campaign and subscriber it names. Every campaign the report names
// also gets one 'bounce_report' event. Delay warnings and auto-replies
// record nothing. The message is unmatched when it is unparseable, or when
// a verdict that could change a subscriber reached none.
//
// NOTE: a verdict matched by address alone names no campaign, so its event
// counts for the subscriber but in no campaign report. The sends row of a
// bounced message also stays delivered: campaign counts come from sends.
func (a *Activities) planInbound(ctx context.Context, m store.InboundMessage, rep *bounce.Report,
	policy BouncePolicy, now time.Time) (store.InboundResult, error) {
	since := now.Add(-policy.Window)
	verdicts := make([]StoredVerdict, len(rep.Verdicts))
	changeOf := make([]int, len(rep.Verdicts))
	var events []store.Event
	var changes []store.StatusChange
	unmatched := rep.Kind == bounce.ReportUnknown
	for i, v := range rep.Verdicts {
		sv := StoredVerdict{Verdict: v, Effect: EffectNone}
		changeOf[i] = -1
		if !actionable(v.Kind) {
			verdicts[i] = sv
			continue
		}
		sub, by, err := a.matchSubscriber(ctx, v)
		if err != nil {
			return store.InboundResult{}, err
		}
		sv.SubscriberID, sv.MatchedBy, sv.Email = sub.ID, by, sub.Email
		if sub.ID == 0 {
			sv.Effect, unmatched = EffectUnmatched, true
		} else {
			sv.Effect = EffectCounted
			changeOf[i] = len(changes)
			changes = append(changes, statusChange(sv, rep, policy, since))
		}
		if sv.CampaignID != 0 || sv.SubscriberID != 0 {
			events = append(events, verdictEvent(sv, rep, m))
		}
		verdicts[i] = sv
	}
	events = append(events, a.reportEvents(m, rep)...)

	status := store.InboundProcessed
	if unmatched {
		status = store.InboundUnmatched
	}
	return store.InboundResult{
		Status: status, ReportKind: string(rep.Kind), Reason: rep.Reason, Events: events, Changes: changes,
		Verdicts: func(applied []bool) any {
			out := append([]StoredVerdict{}, verdicts...)
			for i, c := range changeOf {
				if c >= 0 && applied[c] {
					out[i].Effect = effectOf(changes[c].Status)
				}
			}
			return out
		},
	}, nil
}

// reportEvents returns one 'bounce_report' event for each campaign the
// report names. An unparseable report names none, but when it was sent to
// a verified return path it still shows that the campaign's bounces reach
// pacer, which the API's diagnostics check.
func (a *Activities) reportEvents(m store.InboundMessage, rep *bounce.Report) []store.Event {
	var campaigns []int64
	for _, v := range rep.Verdicts {
		if v.CampaignID != 0 && !slices.Contains(campaigns, v.CampaignID) {
			campaigns = append(campaigns, v.CampaignID)
		}
	}
	if len(campaigns) == 0 && a.Signer != nil {
		if id, _, ok := a.Signer.ParseAddress(m.EnvelopeRecipient); ok {
			campaigns = append(campaigns, id.CampaignID)
		}
	}
	events := make([]store.Event, 0, len(campaigns))
	for _, c := range campaigns {
		events = append(events, store.Event{CampaignID: c, Kind: store.EventBounceReport, Detail: map[string]any{
			"inbound_id": m.ID, "report_kind": string(rep.Kind), "verdicts": len(rep.Verdicts), "format": m.Format,
		}})
	}
	return events
}

// matchSubscriber finds the subscriber a verdict is about: the one our
// verified identifier names, else the one whose address key equals the
// reported recipient's. An address match touches only that subscriber and
// never a redacted placeholder. An unsubscribe request is matched by our
// signed address alone, since its sender address is easy to forge. A zero
// subscriber means no match.
func (a *Activities) matchSubscriber(ctx context.Context, v bounce.Verdict) (
	store.Subscriber, bounce.MatchedBy, error) {
	if v.SubscriberID != 0 {
		sub, err := a.DB.GetSubscriber(ctx, v.SubscriberID)
		if err == nil {
			return sub, v.MatchedBy, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Subscriber{}, bounce.MatchNone, err
		}
	}
	if v.Kind == bounce.Unsubscribe {
		return store.Subscriber{}, bounce.MatchNone, nil
	}
	addr, err := address.Normalize(v.Recipient)
	if err != nil || looksRedacted(addr) {
		return store.Subscriber{}, bounce.MatchNone, nil
	}
	sub, err := a.DB.FindSubscriberByKey(ctx, address.Key(addr))
	if errors.Is(err, store.ErrNotFound) {
		return store.Subscriber{}, bounce.MatchNone, nil
	}
	if err != nil {
		return store.Subscriber{}, bounce.MatchNone, err
	}
	return sub, MatchAddress, nil
}

// looksRedacted recognises the placeholder addresses of redacted feedback
// reports (RFC 6590): "redacted@example.net", "xxxxxxxx@example.com".
func looksRedacted(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return strings.Contains(local, "redacted") || len(local) >= 3 && strings.Trim(local, "x*") == ""
}

// statusChange returns the status change a matched verdict requests, with
// the count of events of its kind that must exist within the window.
func statusChange(v StoredVerdict, rep *bounce.Report, p BouncePolicy, since time.Time) store.StatusChange {
	ch := store.StatusChange{SubscriberID: v.SubscriberID, Since: since, MinEvents: 1}
	window := describeWindow(p.Window)
	switch v.Kind {
	case bounce.Hard:
		ch.Status, ch.EventKind, ch.EventType = store.SubscriberBounced, store.EventBounce, "hard"
		ch.MinEvents = p.HardThreshold
		ch.Reason = bounceReason(countOf(p.HardThreshold, "hard bounce", window), v)
	case bounce.Soft:
		ch.Status, ch.EventKind, ch.EventType = store.SubscriberBounced, store.EventBounce, "soft"
		ch.MinEvents = p.SoftThreshold
		ch.Reason = bounceReason(countOf(p.SoftThreshold, "soft bounce", window), v)
	case bounce.Complaint:
		ch.Status, ch.EventKind = store.SubscriberComplained, store.EventComplaint
		ch.MinEvents = p.ComplaintThreshold
		ch.Reason = "spam complaint"
		if rep.FeedbackType != "" {
			ch.Reason += " (" + rep.FeedbackType + ")"
		}
	case bounce.Unsubscribe:
		ch.Status, ch.EventKind = store.SubscriberUnsubscribed, store.EventUnsubscribe
		ch.Reason = "unsubscribe request by mail"
	}
	return ch
}

// countOf names a threshold of n events: "hard bounce" for one,
// "3 soft bounces within 30 days, the last" for more.
func countOf(n int, event, window string) string {
	if n <= 1 {
		return event
	}
	return fmt.Sprintf("%d %ss within %s, the last", n, event, window)
}

func bounceReason(prefix string, v StoredVerdict) string {
	s := prefix
	if v.Status != "" {
		s += " " + v.Status
	}
	if v.Diagnostic != "" {
		s += ": " + v.Diagnostic
	}
	return s
}

// verdictEvent is the event a verdict records on its campaign and
// subscriber.
func verdictEvent(v StoredVerdict, rep *bounce.Report, m store.InboundMessage) store.Event {
	e := store.Event{CampaignID: v.CampaignID, SubscriberID: v.SubscriberID}
	source := eventSource(m.Format, v.Kind)
	switch v.Kind {
	case bounce.Hard, bounce.Soft:
		e.Kind = store.EventBounce
		e.Detail = map[string]any{"type": string(v.Kind), "status": v.Status, "diagnostic": v.Diagnostic,
			"reporting_mta": v.ReportingMTA, "source": source, "inbound_id": m.ID}
	case bounce.Complaint:
		e.Kind = store.EventComplaint
		e.Detail = map[string]any{"feedback_type": rep.FeedbackType, "reporting_mta": v.ReportingMTA,
			"source": source, "inbound_id": m.ID}
	case bounce.Unsubscribe:
		e.Kind = store.EventUnsubscribe
		e.Detail = map[string]any{"source": source, "inbound_id": m.ID}
	}
	return e
}

// eventSource names where an event's evidence came from: "dsn", "arf" or
// "mailto" for mail, else the provider.
func eventSource(format string, k bounce.VerdictKind) string {
	if format != store.FormatMessage {
		return format
	}
	switch k {
	case bounce.Complaint:
		return "arf"
	case bounce.Unsubscribe:
		return "mailto"
	}
	return "dsn"
}

func effectOf(status string) string {
	switch status {
	case store.SubscriberBounced:
		return EffectBounced
	case store.SubscriberComplained:
		return EffectComplained
	case store.SubscriberUnsubscribed:
		return EffectUnsubscribed
	}
	return EffectCounted
}

// describeWindow writes a window in days when it is a whole number of them.
func describeWindow(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
