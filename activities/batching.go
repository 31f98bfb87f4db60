package activities

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// maxGroup bounds how many claims or outcomes one statement carries.
const maxGroup = 512

// claimer claims sends in PostgreSQL for every connection of a batch run,
// and stores with each claim the outcomes the connection collected since
// its last one. Requests that arrive while a transaction runs go together
// into the next one, so commits grow with the load, not with the message
// count (group commit), and one commit serves a message's outcome and the
// next message's claim.
type claimer struct {
	db         *store.DB
	campaignID int64
	claim      string
	serverID   int64
	records    *recorder
	reqs       chan claimRequest
}

type claimRequest struct {
	id       int64
	outcomes []store.Outcome
	resp     chan bool
}

func newClaimer(db *store.DB, campaignID int64, claim string, serverID int64, records *recorder) *claimer {
	return &claimer{db: db, campaignID: campaignID, claim: claim, serverID: serverID, records: records,
		reqs: make(chan claimRequest, maxGroup)}
}

// Claim stores outcomes and claims the send of id in one transaction. It
// blocks until both are committed and reports whether this run owns the
// send now. The outcomes are stored even when the claim fails.
func (c *claimer) Claim(ctx context.Context, id int64, outcomes []store.Outcome) bool {
	if ctx.Err() != nil {
		c.records.Record(outcomes...)
		return false
	}
	resp := make(chan bool, 1)
	c.reqs <- claimRequest{id: id, outcomes: outcomes, resp: resp}
	return <-resp
}

// close ends run once every connection is done.
func (c *claimer) close() { close(c.reqs) }

// run serves claims until close. It keeps going after the activity is
// cancelled, so no connection waits forever for its answer.
func (c *claimer) run(log *zap.Logger) {
	for first := range c.reqs {
		group := []claimRequest{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		ids := make([]int64, len(group))
		var outs []store.Outcome
		for i, r := range group {
			ids[i] = r.id
			outs = append(outs, r.outcomes...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		claimed, err := c.db.RecordAndClaim(ctx, c.campaignID, c.claim, c.serverID, outs, ids)
		cancel()
		if err != nil {
			// Unclaimed messages are dropped before the final dot and stay
			// queued, so a failed claim never sends anything. The outcomes
			// are retried on their own.
			log.Error("claim failed", zap.Int64("campaign_id", c.campaignID), zap.Int("sends", len(ids)), zap.Error(err))
			claimed = nil
			c.records.Record(outs...)
		}
		owned := make(map[int64]bool, len(claimed))
		for _, id := range claimed {
			owned[id] = true
		}
		for _, r := range group {
			r.resp <- owned[r.id]
		}
	}
}

// recorder writes outcomes in groups, off the sending connections' path.
type recorder struct {
	db         *store.DB
	campaignID int64
	claim      string
	serverID   int64
	reqs       chan recordRequest
	done       chan struct{}
}

type recordRequest struct {
	outcomes []store.Outcome
	stored   chan struct{}
}

func newRecorder(db *store.DB, campaignID int64, claim string, serverID int64) *recorder {
	return &recorder{db: db, campaignID: campaignID, claim: claim, serverID: serverID,
		reqs: make(chan recordRequest, maxGroup), done: make(chan struct{})}
}

// Record stores outcomes together with others that arrive meanwhile, and
// returns once they are stored (or given up).
func (r *recorder) Record(outcomes ...store.Outcome) {
	if len(outcomes) == 0 {
		return
	}
	stored := make(chan struct{})
	r.reqs <- recordRequest{outcomes: outcomes, stored: stored}
	<-stored
}

// Close writes every queued outcome and returns when they are stored.
func (r *recorder) Close() {
	close(r.reqs)
	<-r.done
}

// run writes outcomes until Close. It keeps retrying a failed write for a
// while even after the activity was cancelled, because an outcome lost here
// turns a delivered message into a delivery-uncertain one.
func (r *recorder) run(log *zap.Logger) {
	defer close(r.done)
	for first := range r.reqs {
		reqs := []recordRequest{first}
	drain:
		for len(reqs) < maxGroup {
			select {
			case o, ok := <-r.reqs:
				if !ok {
					break drain
				}
				reqs = append(reqs, o)
			default:
				break drain
			}
		}
		var group []store.Outcome
		for _, req := range reqs {
			group = append(group, req.outcomes...)
		}
		delay := 100 * time.Millisecond
		for attempt := 1; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := r.db.RecordOutcomes(ctx, r.campaignID, r.claim, r.serverID, group)
			cancel()
			if err == nil {
				break
			}
			log.Error("recording outcomes failed", zap.Int64("campaign_id", r.campaignID),
				zap.Int("sends", len(group)), zap.Int("attempt", attempt), zap.Error(err))
			if attempt == 8 {
				break
			}
			time.Sleep(delay)
			delay = min(2*delay, 10*time.Second)
		}
		for _, req := range reqs {
			close(req.stored)
		}
	}
}
