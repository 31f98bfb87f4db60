package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// SendEmailInput names one recipient of a campaign to retry.
type SendEmailInput struct {
	CampaignID   int64
	SubscriberID int64
	ServerID     int64
	MaxAttempts  int
}

// SendEmailResult is the send's status after this attempt.
type SendEmailResult struct {
	Status  string
	Stopped string
	Reason  string
}

// SendEmail sends one recipient's message, for retries after a soft
// failure. It returns a retryable SMTPTransient error while attempts remain,
// so Temporal's retry policy backs off between attempts and the workflow
// history shows each failure with the recipient and the reply; once the
// send reaches a final status it records it and fails for good with an
// SMTPPermanent error. A send already finished elsewhere is left alone.
func (a *Activities) SendEmail(ctx context.Context, in SendEmailInput) (SendEmailResult, error) {
	a.observeActivity("SendEmail")
	log := a.Log.With(zap.Int64("campaign_id", in.CampaignID), zap.Int64("subscriber_id", in.SubscriberID))
	if status, reason, err := a.DB.CampaignStatus(ctx, in.CampaignID); err != nil {
		return SendEmailResult{}, err
	} else if stopsSending(status) {
		return SendEmailResult{Stopped: status, Reason: reason}, nil
	}
	rc, sendStatus, err := a.DB.GetRecipient(ctx, in.CampaignID, in.SubscriberID)
	if err != nil {
		return SendEmailResult{}, err
	}
	if sendStatus != store.SendRetry && sendStatus != store.SendQueued {
		return SendEmailResult{Status: sendStatus}, nil
	}
	claim := newClaimToken()
	if rc.Status != store.SubscriberActive {
		o := store.Outcome{SubscriberID: rc.SubscriberID, Status: store.SendSkipped, Attempts: rc.Attempts,
			Reply: "suppressed: subscriber is " + rc.Status}
		_, err := a.DB.RecordOutcomes(ctx, in.CampaignID, claim, in.ServerID, []store.Outcome{o})
		return SendEmailResult{Status: store.SendSkipped}, err
	}
	comp, err := a.composer(ctx, in.CampaignID)
	if err != nil {
		return SendEmailResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
	}
	srv, err := a.server(ctx, in.ServerID)
	if err != nil {
		return SendEmailResult{}, err
	}
	msg, err := comp.Compose(rc, nil)
	if err != nil {
		return SendEmailResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
	}
	if err := srv.limiter.Wait(ctx); err != nil {
		if reason, ok := configuredQuotaReason(srv.srv.Name, err); ok {
			a.pauseCampaign(ctx, log, in.CampaignID, reason)
			return SendEmailResult{Stopped: store.StatusPaused, Reason: reason}, nil
		}
		return SendEmailResult{}, err
	}
	v, err := a.sendClaimed(ctx, srv, in.CampaignID, claim, rc, msg)
	if err != nil {
		return SendEmailResult{}, err
	}
	return a.settle(ctx, log, in, srv, claim, rc, v)
}

// sendClaimed sends one message over a pooled connection, claiming the send
// right before the final dot, and releases the claim again when the reply
// is about the sender rather than the recipient.
func (a *Activities) sendClaimed(ctx context.Context, srv *serverState, campaignID int64, claim string,
	rc store.Recipient, msg composed) (verdict, error) {
	conn, err := srv.pool.Get(ctx)
	if err != nil {
		return verdict{}, fmt.Errorf("send to %s: %w", rc.Email, err)
	}
	claimed := false
	res := conn.Send(msg.From, msg.To, msg.Body, func() error {
		ids, err := a.DB.Claim(ctx, campaignID, claim, []int64{rc.SubscriberID})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return fmt.Errorf("send to subscriber %d already claimed", rc.SubscriberID)
		}
		claimed = true
		return nil
	})
	srv.pool.Put(conn)
	v := classify(res)
	a.observe(srv.srv.Name, v)
	if claimed && (v.action == actThrottled || v.action == actQuota) {
		if err := a.DB.ReleaseClaim(ctx, campaignID, claim, rc.SubscriberID); err != nil {
			return verdict{}, err
		}
	}
	return v, nil
}

// settle records what one retry attempt came to and turns it into the
// activity's result: a retryable error while attempts remain, a
// non-retryable one for a final failure.
func (a *Activities) settle(ctx context.Context, log *zap.Logger, in SendEmailInput, srv *serverState,
	claim string, rc store.Recipient, v verdict) (SendEmailResult, error) {
	switch v.action {
	case actNotClaimed:
		return SendEmailResult{Status: store.SendCommitting}, nil
	case actThrottled:
		a.throttle(ctx, log, in.CampaignID, in.ServerID, rc.SubscriberID, v)
		return SendEmailResult{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("server throttles: %s (recipient %s, no attempt charged)", v.text(), rc.Email),
			ErrTypeSMTPTransient, temporal.ApplicationErrorOptions{NextRetryDelay: 10 * time.Second})
	case actQuota:
		reason := quotaReason(srv.srv.Name, v)
		a.pauseCampaign(ctx, log, in.CampaignID, reason)
		return SendEmailResult{Stopped: store.StatusPaused, Reason: reason}, nil
	}

	o := outcomeFor(v, rc, in.MaxAttempts, time.Now())
	if _, err := a.DB.RecordOutcomes(ctx, in.CampaignID, claim, in.ServerID, []store.Outcome{o}); err != nil {
		return SendEmailResult{}, err
	}
	detail := fmt.Sprintf("%s to %s (subscriber %d), attempt %d of %d: %s",
		o.Status, rc.Email, rc.SubscriberID, o.Attempts, in.MaxAttempts, o.Reply)
	switch o.Status {
	case store.SendDelivered:
		return SendEmailResult{Status: o.Status}, nil
	case store.SendRetry:
		log.Info("send will be retried", zap.String("reply", o.Reply),
			zap.Int32("activity_attempt", activity.GetInfo(ctx).Attempt))
		return SendEmailResult{}, temporal.NewApplicationError(detail, ErrTypeSMTPTransient)
	default:
		log.Warn("send failed", zap.String("status", o.Status), zap.String("reply", o.Reply))
		return SendEmailResult{}, temporal.NewNonRetryableApplicationError(detail, ErrTypeSMTPPermanent, nil)
	}
}
