package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/bounce"
	"github.com/pacer-email/pacer/internal/inbound"
	"github.com/pacer-email/pacer/internal/store"
)

// ProcessInboundAttempts is how many attempts ProcessInbound makes before
// it marks a message failed instead of failing once more.
const ProcessInboundAttempts = 10

// BouncePolicy decides when bounce reports stop mail to a subscriber.
type BouncePolicy struct {
	// HardThreshold, SoftThreshold and ComplaintThreshold are how many hard
	// bounces, soft bounces or complaints within Window mark a subscriber
	// bounced or complained. Bounces recorded at send time count too.
	HardThreshold      int
	SoftThreshold      int
	ComplaintThreshold int
	Window             time.Duration
	// MaxMessageBytes is the largest message classified.
	MaxMessageBytes int64
}

// DefaultBouncePolicy returns the defaults temporal.yaml lists.
func DefaultBouncePolicy() BouncePolicy {
	return BouncePolicy{
		HardThreshold:      1,
		SoftThreshold:      3,
		ComplaintThreshold: 1,
		Window:             30 * 24 * time.Hour,
		MaxMessageBytes:    bounce.DefaultMaxBytes,
	}
}

func (p BouncePolicy) withDefaults() BouncePolicy {
	d := DefaultBouncePolicy()
	if p.HardThreshold <= 0 {
		p.HardThreshold = d.HardThreshold
	}
	if p.SoftThreshold <= 0 {
		p.SoftThreshold = d.SoftThreshold
	}
	if p.ComplaintThreshold <= 0 {
		p.ComplaintThreshold = d.ComplaintThreshold
	}
	if p.Window <= 0 {
		p.Window = d.Window
	}
	if p.MaxMessageBytes <= 0 {
		p.MaxMessageBytes = d.MaxMessageBytes
	}
	return p
}

// InboundInput names a stored inbound message.
type InboundInput struct {
	InboundID int64
}

// InboundOutcome is the result of processing one inbound message.
type InboundOutcome struct {
	InboundID  int64  `json:"inbound_id"`
	Status     string `json:"status"`
	ReportKind string `json:"report_kind,omitempty"`
	Verdicts   int    `json:"verdicts"`
	// Applied is false when the message had been processed already, by an
	// earlier attempt or another workflow, or no longer exists.
	Applied bool `json:"applied"`
}

// ProcessInbound classifies one stored inbound message, matches its
// verdicts to subscribers, records events, changes subscriber statuses and
// stores the verdicts and the message's status, all in one transaction. A
// message that is not received any more is left alone, so the activity is
// safe to retry. Unparseable messages and verdicts without a subscriber
// are stored as unmatched, never dropped. From attempt
// ProcessInboundAttempts on, a failure marks the message failed.
func (a *Activities) ProcessInbound(ctx context.Context, in InboundInput) (InboundOutcome, error) {
	log := a.Log.With(zap.Int64("inbound_id", in.InboundID))
	out := InboundOutcome{InboundID: in.InboundID}
	m, err := a.DB.GetInbound(ctx, in.InboundID)
	if errors.Is(err, store.ErrNotFound) {
		log.Warn("inbound message not found: deleted before it was processed")
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if m.Status != store.InboundReceived {
		out.Status, out.ReportKind = m.Status, m.ReportKind
		return out, nil
	}
	out, err = a.processInbound(ctx, m)
	if err == nil {
		log.Info("inbound message processed", zap.String("status", out.Status),
			zap.String("report_kind", out.ReportKind), zap.Int("verdicts", out.Verdicts),
			zap.Bool("applied", out.Applied))
		return out, nil
	}
	if !activity.IsActivity(ctx) || activity.GetInfo(ctx).Attempt < ProcessInboundAttempts {
		return out, err
	}
	if ferr := a.DB.FailInbound(ctx, m.ID, err.Error()); ferr != nil {
		return out, errors.Join(err, ferr)
	}
	log.Error("processing an inbound message failed for good; marked failed", zap.Error(err))
	out.Status = store.InboundFailed
	return out, nil
}

func (a *Activities) processInbound(ctx context.Context, m store.InboundMessage) (InboundOutcome, error) {
	policy := a.Config.Bounces.withDefaults()
	rep := inbound.Classify(m, bounce.Options{Signer: a.Signer, MaxBytes: policy.MaxMessageBytes})
	res, err := a.planInbound(ctx, m, rep, policy, time.Now())
	if err != nil {
		return InboundOutcome{InboundID: m.ID}, err
	}
	applied, err := a.DB.FinishInbound(ctx, m.ID, res)
	if err != nil {
		return InboundOutcome{InboundID: m.ID}, err
	}
	return InboundOutcome{InboundID: m.ID, Status: res.Status, ReportKind: string(rep.Kind),
		Verdicts: len(rep.Verdicts), Applied: applied}, nil
}
