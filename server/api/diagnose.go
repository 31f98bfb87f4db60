package api

import (
	"context"
	"fmt"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// Thresholds of the diagnostics.
const (
	// stuckAfter is how long a campaign may sit in a waiting status or
	// without progress before the API looks for the cause.
	stuckAfter = 30 * time.Second
	// workerMaxAge is how old a worker's last heartbeat may be for it to
	// count as alive; workers write one every 5 seconds.
	workerMaxAge = 15 * time.Second
	// throttleWindow is how far back throttle replies are counted.
	throttleWindow = 5 * time.Minute
	// bounceSilence is how long after sending without any bounce report
	// from the bounce processor the API suspects the receiver.
	bounceSilence = 30 * time.Minute
	// bounceSilenceMinimum is how many messages must have gone out first.
	bounceSilenceMinimum = 1000
)

var waiting = map[string]bool{
	store.StatusQueuing: true, store.StatusQueued: true, store.StatusSending: true,
}

// diagnose explains in plain words why a campaign is not moving, from live
// evidence: worker heartbeats, the measured rate against the set rate,
// recent throttle replies and the absence of bounce reports.
func (s *Server) diagnose(ctx context.Context, v CampaignView) []string {
	var out []string
	c := v.Campaign
	now := time.Now()
	// Heartbeats are written every 5 s, so a missing worker shows within
	// workerMaxAge of its last one, whatever the campaign is doing.
	if waiting[c.Status] {
		out = append(out, s.missingWorkers(ctx, c)...)
	}
	// Without workers, the rate says nothing more.
	if len(out) == 0 && c.Status == store.StatusSending && c.StartedAt != nil && now.Sub(*c.StartedAt) > stuckAfter {
		out = append(out, s.slowSending(ctx, v)...)
	}
	if msg := s.silentBounces(ctx, v, now); msg != "" {
		out = append(out, msg)
	}
	return out
}

func (s *Server) missingWorkers(ctx context.Context, c store.Campaign) []string {
	queues := []string{s.Options.CampaignQueue}
	for _, id := range c.ServerIDs {
		if srv, err := s.DB.GetServer(ctx, id); err == nil {
			queues = append(queues, srv.TaskQueue)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, q := range queues {
		if seen[q] {
			continue
		}
		seen[q] = true
		n, err := s.DB.LiveWorkers(ctx, q, workerMaxAge)
		if err == nil && n == 0 {
			out = append(out, fmt.Sprintf("no worker is polling task queue %s: start the worker", q))
		}
	}
	return out
}

func (s *Server) slowSending(ctx context.Context, v CampaignView) []string {
	var out []string
	var setRate float64
	for _, id := range v.ServerIDs {
		srv, err := s.DB.GetServer(ctx, id)
		if err != nil {
			continue
		}
		setRate += srv.RatePerSecond
		throttles, err := s.DB.RecentEvents(ctx, v.ID, store.EventThrottle, time.Now().Add(-throttleWindow))
		if err == nil && throttles > 0 {
			out = append(out, fmt.Sprintf("server %s is throttling: %d throttle replies in the last %s; pacer lowered its pace to %.0f%% of %g/s and recovers it gradually",
				srv.Name, throttles, throttleWindow, srv.ThrottleFactor*100, srv.RatePerSecond))
		}
	}
	if len(out) > 0 {
		return out
	}
	rate := v.Progress.Rate
	// Sends in retry back-off or in a stopped worker's claims wait for
	// time, not for workers. That is the case when nothing moves, or when
	// nothing is left queued.
	waitingOnly := (rate == 0 || v.Counts.Queued == 0) && v.Counts.Retry+v.Counts.Sending > 0
	if waitingOnly && (rate < 0.5*setRate || setRate == 0 && rate < 50) {
		return append(out, fmt.Sprintf("%d sends wait for a retry after a temporary reply and %d are being sent or wait until a stopped worker's claim is %s old; their batches go on after that: they need time, not workers",
			v.Counts.Retry, v.Counts.Sending, s.Options.StaleClaimAge))
	}
	switch {
	case setRate > 0 && rate >= 0.8*setRate:
		out = append(out, fmt.Sprintf("the rate limit (%g/s) sets the pace: raise rate_per_second of the server to send faster", setRate))
	case setRate > 0 && rate < 0.5*setRate:
		out = append(out, fmt.Sprintf("sending at %.0f/s, below the set rate of %g/s: the workers are saturated; start more workers on the send queue or raise max_connections", rate, setRate))
	case setRate == 0 && rate > 0 && rate < 50:
		out = append(out, fmt.Sprintf("sending at only %.0f/s with no rate limit: the workers or the receiving server are saturated; start more workers on the send queue or raise max_connections", rate))
	}
	return out
}

func (s *Server) silentBounces(ctx context.Context, v CampaignView, now time.Time) string {
	if v.Counts.Delivered < bounceSilenceMinimum || v.StartedAt == nil || now.Sub(*v.StartedAt) < bounceSilence {
		return ""
	}
	n, err := s.DB.RecentEvents(ctx, v.ID, store.EventBounceReport, *v.StartedAt)
	if err != nil || n > 0 {
		return ""
	}
	return fmt.Sprintf("no bounce report has arrived for %d delivered messages in %s: the bounce receiver is not running or not reached; check that it runs and that the bounce domain's MX points to it",
		v.Counts.Delivered, now.Sub(*v.StartedAt).Round(time.Minute))
}
