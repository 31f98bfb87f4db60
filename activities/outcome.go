package activities

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/pacing"
	"github.com/pacer-email/pacer/internal/smtpreply"
	"github.com/pacer-email/pacer/internal/smtpsend"
	"github.com/pacer-email/pacer/internal/store"
)

// action is what the send loop does after one SMTP attempt.
type action int

const (
	actDelivered action = iota
	actRetry
	actMailboxFull
	actHard
	actBlocked
	actFailed
	actThrottled
	actQuota
	actUncertain
	actConnectionLost
	actNotClaimed
)

// verdict is one attempt's classified result.
type verdict struct {
	action action
	class  smtpreply.Class
	stage  smtpreply.Stage
	reply  smtpreply.Reply
	err    error
	// connectionDone is true when the connection must not carry another
	// message without being returned to the pool first (it is broken, or
	// the server closed the session).
	connectionDone bool
}

func (v verdict) text() string {
	if v.reply.Code != 0 {
		return v.reply.String()
	}
	if v.err != nil {
		return fmt.Sprintf("%s: %v", v.stage, v.err)
	}
	return ""
}

var classActions = map[smtpreply.Class]action{
	smtpreply.Delivered:      actDelivered,
	smtpreply.Retry:          actRetry,
	smtpreply.MailboxFull:    actMailboxFull,
	smtpreply.Hard:           actHard,
	smtpreply.Blocked:        actBlocked,
	smtpreply.Failed:         actFailed,
	smtpreply.Throttled:      actThrottled,
	smtpreply.QuotaExceeded:  actQuota,
	smtpreply.Uncertain:      actUncertain,
	smtpreply.ConnectionLost: actConnectionLost,
}

// classify maps one SMTP result to what happens to the recipient, using the
// enhanced status code where the server sent one (package smtpreply).
func classify(res smtpsend.Result) verdict {
	v := verdict{stage: res.Stage, err: res.Err}
	if res.Err == nil {
		v.reply, _ = smtpreply.Parse(res.Reply)
		v.class, v.action = smtpreply.Delivered, actDelivered
		return v
	}
	if errors.Is(res.Err, smtpsend.ErrNotClaimed) {
		v.action, v.connectionDone = actNotClaimed, true
		return v
	}
	reply, isReply := smtpreply.FromError(res.Err)
	if isReply {
		v.reply = reply
		v.class = smtpreply.Classify(res.Stage, reply)
		v.connectionDone = reply.Code == 421
	} else {
		v.class = smtpreply.ClassifyError(res.Stage, res.Err, res.AfterDot)
		v.connectionDone = true
	}
	v.action = classActions[v.class]
	return v
}

// outcomeFor turns a verdict into the sends row update. Soft failures are
// retried until maxAttempts attempts were used, counting this one.
func outcomeFor(v verdict, rc store.Recipient, maxAttempts int, now time.Time) store.Outcome {
	o := store.Outcome{
		SubscriberID: rc.SubscriberID,
		Attempts:     rc.Attempts + 1,
		Code:         v.reply.Code,
		EnhancedCode: v.reply.Enhanced,
		Reply:        v.text(),
	}
	switch v.action {
	case actDelivered:
		o.Status = store.SendDelivered
	case actHard:
		o.Status = store.SendHardBounced
	case actMailboxFull:
		o.Status, o.Reason = store.SendSoftBounced, store.ReasonSoftBounce
	case actBlocked:
		o.Status, o.Reason = store.SendFailed, store.ReasonBlocked
	case actFailed:
		o.Status, o.Reason = store.SendFailed, store.ReasonRejected
	case actUncertain:
		o.Status, o.Reason = store.SendUncertain, store.ReasonUncertain
		o.Reply = store.UncertainReply + " (" + v.text() + ")"
	default: // retry, connection lost
		switch {
		case o.Attempts >= maxAttempts && v.class == smtpreply.Retry && v.reply.Enhanced == "4.2.2":
			// The mailbox was still full at the last attempt: a soft
			// bounce, which keeps the address, not a failure.
			o.Status, o.Reason = store.SendSoftBounced, store.ReasonSoftBounce
		case o.Attempts >= maxAttempts:
			o.Status, o.Reason = store.SendFailed, store.ReasonRetriesExhausted
		default:
			o.Status, o.NextTry = store.SendRetry, now
		}
	}
	return o
}

// releases reports whether a claimed send goes back to the queue after
// this action, with no outcome recorded: the reply said nothing about the
// recipient, or the final dot was never written.
func releases(a action) bool {
	return a == actThrottled || a == actQuota || a == actConnectionLost
}

// maxThrottleRetries is how often one recipient waits out a throttle reply
// inside a run before it is left queued for the next run.
const maxThrottleRetries = 6

// throttleBackoff is the wait after the n-th throttle reply: 1 s doubling to
// at most 30 s.
func throttleBackoff(n int) time.Duration {
	return time.Duration(math.Min(30, math.Pow(2, float64(n-1)))) * time.Second
}

// throttle slows the server's shared pace and records the reply, which the
// operator diagnostics read. The recipient is charged nothing.
func (a *Activities) throttle(ctx context.Context, log *zap.Logger, campaignID, serverID, subscriberID int64,
	v verdict) {
	factor, err := a.DB.Throttle(ctx, serverID)
	if err != nil {
		log.Error("lowering the pace failed", zap.Error(err))
	} else if factor > 0 {
		log.Warn("server throttles, pace lowered", zap.Float64("throttle_factor", factor), zap.String("reply", v.text()))
	}
	a.recordEvent(ctx, store.Event{CampaignID: campaignID, SubscriberID: subscriberID,
		Kind: store.EventThrottle, Detail: map[string]any{"server_id": serverID, "reply": v.text()}})
}

// pauseCampaign pauses the whole campaign, for replies that no retry can
// fix soon (a used-up daily quota). The workflow learns of it from the
// batch result.
func (a *Activities) pauseCampaign(ctx context.Context, log *zap.Logger, campaignID int64, reason string) {
	if err := a.DB.SetCampaignStatus(ctx, campaignID, store.StatusPaused, reason); err != nil {
		log.Error("pausing campaign failed", zap.String("reason", reason), zap.Error(err))
		return
	}
	log.Warn("campaign paused", zap.String("reason", reason))
}

// configuredQuotaReason explains a pause for a used-up hourly or daily
// quota of the server's own settings.
func configuredQuotaReason(serverName string, err error) (string, bool) {
	var qe *pacing.QuotaError
	if !errors.As(err, &qe) {
		return "", false
	}
	return fmt.Sprintf("server %q used its configured sending quota; it starts over at %s: resume the campaign then",
		serverName, qe.Reset.UTC().Format(time.RFC3339)), true
}

func quotaReason(serverName string, v verdict) string {
	return fmt.Sprintf("server %q reports its sending quota is used up: %s", serverName, v.text())
}

func (a *Activities) observe(server string, v verdict) {
	if a.Metrics != nil {
		a.Metrics.ObserveSend(server, v.class.String())
	}
}
