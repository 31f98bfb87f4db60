package activities

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// ReputationLimits say when the reputation guard pauses a campaign: once at
// least MinSent messages went out, when complaints pass MaxComplaintRate or
// hard bounces pass MaxHardBounceRate of them. Zero fields take the values
// of [DefaultReputationLimits].
type ReputationLimits struct {
	MinSent           int64
	MaxComplaintRate  float64
	MaxHardBounceRate float64
	// CheckEvery is how often each running batch reads the counts.
	CheckEvery time.Duration
}

// DefaultReputationLimits returns the limits mailbox providers hold bulk
// senders to: Gmail and Yahoo start filtering at 0.3% spam complaints, and
// hard bounces above a few percent mark a stale list.
func DefaultReputationLimits() ReputationLimits {
	return ReputationLimits{MinSent: 1000, MaxComplaintRate: 0.003, MaxHardBounceRate: 0.05,
		CheckEvery: 5 * time.Second}
}

func (l ReputationLimits) withDefaults() ReputationLimits {
	def := DefaultReputationLimits()
	if l.MinSent <= 0 {
		l.MinSent = def.MinSent
	}
	if l.MaxComplaintRate <= 0 {
		l.MaxComplaintRate = def.MaxComplaintRate
	}
	if l.MaxHardBounceRate <= 0 {
		l.MaxHardBounceRate = def.MaxHardBounceRate
	}
	if l.CheckEvery <= 0 {
		l.CheckEvery = def.CheckEvery
	}
	return l
}

// breach returns why c breaks the limits, or "" when it does not. resumed
// says c counts from an earlier reputation pause.
func (l ReputationLimits) breach(c store.ReputationCounts, resumed bool) string {
	if c.Sent < l.MinSent {
		return ""
	}
	since := ""
	if resumed {
		since = " since the campaign resumed"
	}
	complaints := float64(c.Complaints) / float64(c.Sent)
	if complaints > l.MaxComplaintRate {
		return fmt.Sprintf("paused by the reputation guard: %d spam complaints for %d messages sent%s (%.2f%%) "+
			"pass the %.2f%% limit; check that these people asked for this mail, then resume",
			c.Complaints, c.Sent, since, 100*complaints, 100*l.MaxComplaintRate)
	}
	bounces := float64(c.HardBounces) / float64(c.Sent)
	if bounces > l.MaxHardBounceRate {
		return fmt.Sprintf("paused by the reputation guard: %d hard bounces for %d messages sent%s (%.1f%%) "+
			"pass the %.1f%% limit; remove stale addresses from the list, then resume",
			c.HardBounces, c.Sent, since, 100*bounces, 100*l.MaxHardBounceRate)
	}
	return ""
}

// reputationGuard reads a campaign's counts while a batch sends and pauses
// the campaign when complaints or hard bounces break the limits. After a
// resume it counts again from the figures of the pause, so the campaign
// runs until the new mail breaks the limits too.
type reputationGuard struct {
	a          *Activities
	campaignID int64
	limits     ReputationLimits
	next       time.Time
}

func (a *Activities) newReputationGuard(campaignID int64) *reputationGuard {
	return &reputationGuard{a: a, campaignID: campaignID, limits: a.Config.Reputation.withDefaults()}
}

// check reads the counts when CheckEvery has passed since the last read. It
// returns the reason when this call paused the campaign.
func (g *reputationGuard) check(ctx context.Context, log *zap.Logger) (string, bool) {
	if time.Now().Before(g.next) {
		return "", false
	}
	g.next = time.Now().Add(g.limits.CheckEvery)
	// Batches of one campaign run side by side on a worker; one count per
	// campaign and CheckEvery is enough, since each reads every send row.
	last, seen := g.a.reputationChecks.Load(g.campaignID)
	if seen && time.Since(last.(time.Time)) < g.limits.CheckEvery {
		return "", false
	}
	g.a.reputationChecks.Store(g.campaignID, time.Now())
	now, base, err := g.a.DB.Reputation(ctx, g.campaignID)
	if err != nil {
		log.Warn("reading reputation counts failed", zap.Error(err))
		return "", false
	}
	reason := g.limits.breach(now.Sub(base), base != store.ReputationCounts{})
	if reason == "" {
		return "", false
	}
	paused, err := g.a.DB.PauseForReputation(ctx, g.campaignID, reason, now)
	if err != nil {
		log.Error("pausing campaign failed", zap.String("reason", reason), zap.Error(err))
		return "", false
	}
	if paused {
		log.Warn("campaign paused", zap.String("reason", reason), zap.Int64("sent", now.Sent),
			zap.Int64("hard_bounces", now.HardBounces), zap.Int64("complaints", now.Complaints))
	}
	return reason, paused
}
