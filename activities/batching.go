package activities

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/store"
)

// maxGroup bounds how many claims or outcomes one statement carries.
const maxGroup = 512

// claimer claims sends in PostgreSQL for every connection of a batch run.
// Requests that arrive while a claim statement runs are sent together in the
// next one, so the round trips grow with the load, not with the message
// count (group commit).
type claimer struct {
	db         *store.DB
	campaignID int64
	claim      string
	reqs       chan claimRequest
}

type claimRequest struct {
	id   int64
	resp chan bool
}

func newClaimer(db *store.DB, campaignID int64, claim string) *claimer {
	return &claimer{db: db, campaignID: campaignID, claim: claim, reqs: make(chan claimRequest, maxGroup)}
}

// Claim blocks until the send of id is claimed, and reports whether this run
// owns it now.
func (c *claimer) Claim(ctx context.Context, id int64) bool {
	resp := make(chan bool, 1)
	select {
	case c.reqs <- claimRequest{id: id, resp: resp}:
	case <-ctx.Done():
		return false
	}
	select {
	case ok := <-resp:
		return ok
	case <-ctx.Done():
		return false
	}
}

func (c *claimer) run(ctx context.Context, log *zap.Logger) {
	for {
		var first claimRequest
		select {
		case first = <-c.reqs:
		case <-ctx.Done():
			return
		}
		group := []claimRequest{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-c.reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		ids := make([]int64, len(group))
		for i, r := range group {
			ids[i] = r.id
		}
		claimed, err := c.db.Claim(ctx, c.campaignID, c.claim, ids)
		if err != nil {
			// Unclaimed messages are dropped before the final dot and stay
			// queued, so a failed claim never sends anything.
			log.Error("claim failed", zap.Int64("campaign_id", c.campaignID), zap.Int("sends", len(ids)), zap.Error(err))
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
	outcome store.Outcome
	stored  chan struct{}
}

func newRecorder(db *store.DB, campaignID int64, claim string, serverID int64) *recorder {
	return &recorder{db: db, campaignID: campaignID, claim: claim, serverID: serverID,
		reqs: make(chan recordRequest, maxGroup), done: make(chan struct{})}
}

// Record stores an outcome with others that arrive meanwhile, and returns
// once it is stored (or given up). A sending connection waits for it
// before its next message, so a killed worker leaves at most one send per
// connection between the final dot and its recorded outcome.
func (r *recorder) Record(o store.Outcome) {
	stored := make(chan struct{})
	r.reqs <- recordRequest{outcome: o, stored: stored}
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
		group := make([]store.Outcome, len(reqs))
		for i, req := range reqs {
			group[i] = req.outcome
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
