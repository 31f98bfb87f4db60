package activities

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/pacer-email/pacer/internal/smtpsend"
	"github.com/pacer-email/pacer/internal/store"
)

// SendEmailsInput names one batch of a campaign and the server to send it
// through. It carries ids only: the recipients are read from PostgreSQL.
type SendEmailsInput struct {
	CampaignID    int64
	BatchNo       int
	ServerID      int64
	MaxAttempts   int
	StaleClaimAge time.Duration
}

// SendEmailsResult is the state of a batch after a bulk run.
type SendEmailsResult struct {
	// Stopped is Paused or Cancelled when the campaign stopped the run.
	Stopped string
	Reason  string
	Sent    int
	// Queued counts recipients still queued (left by throttling).
	Queued int
	// RetryIDs are the subscribers waiting for a per-recipient retry.
	RetryIDs []int64
	// Committing counts claims of an earlier attempt not yet stale.
	Committing int
}

// claimRunners is how many claim transactions one batch run keeps in
// flight, so connections do not queue behind one commit.
const claimRunners = 4

// statusPoll is how often a running batch reads the campaign status, which
// bounds how long a pause or cancel takes to stop new sends.
const statusPoll = 500 * time.Millisecond

// SendEmails sends every queued recipient of one batch over pooled SMTP
// connections at the server's pace. Each recipient is claimed in PostgreSQL
// right before the final dot and its outcome recorded after the reply, so a
// retry of this activity, a second worker or a reset never sends twice.
func (a *Activities) SendEmails(ctx context.Context, in SendEmailsInput) (SendEmailsResult, error) {
	a.observeActivity("SendEmails")
	log := a.Log.With(zap.Int64("campaign_id", in.CampaignID), zap.Int("batch", in.BatchNo),
		zap.Int64("server_id", in.ServerID))
	comp, err := a.composer(ctx, in.CampaignID)
	if err != nil {
		return SendEmailsResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidCampaign, err)
	}
	srv, err := a.server(ctx, in.ServerID)
	if err != nil {
		return SendEmailsResult{}, err
	}
	if status, reason, err := a.DB.CampaignStatus(ctx, in.CampaignID); err != nil {
		return SendEmailsResult{}, err
	} else if stopsSending(status) {
		return SendEmailsResult{Stopped: status, Reason: reason}, nil
	}
	if n, err := a.DB.ResolveStaleClaims(ctx, in.CampaignID, in.BatchNo, in.StaleClaimAge); err != nil {
		return SendEmailsResult{}, err
	} else if n > 0 {
		log.Warn("sends claimed by a dead attempt marked delivery-uncertain", zap.Int("sends", n))
	}
	rcpts, err := a.DB.PendingRecipients(ctx, in.CampaignID, in.BatchNo)
	if err != nil {
		return SendEmailsResult{}, err
	}

	run := &batchRun{a: a, in: in, log: log, comp: comp, srv: srv, claimToken: newClaimToken()}
	if err := run.execute(ctx, rcpts); err != nil {
		return SendEmailsResult{}, err
	}
	res := SendEmailsResult{Sent: int(run.sent.Load())}
	if stop := run.stopReason(); stop != nil {
		res.Stopped, res.Reason = stop.status, stop.reason
	}
	st, err := a.DB.GetBatchState(ctx, in.CampaignID, in.BatchNo)
	if err != nil {
		return res, err
	}
	res.Queued, res.Committing = st.Queued, st.Committing
	if st.Retry > 0 {
		if res.RetryIDs, err = a.DB.RetryIDs(ctx, in.CampaignID, in.BatchNo); err != nil {
			return res, err
		}
	}
	log.Info("batch run finished", zap.Int("sent", res.Sent), zap.Int("queued", res.Queued),
		zap.Int("retry", len(res.RetryIDs)), zap.String("stopped", res.Stopped))
	return res, nil
}

func stopsSending(status string) bool {
	return status == store.StatusPaused || status == store.StatusCancelled
}

func newClaimToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type stop struct{ status, reason string }

// batchRun is one execution of SendEmails.
type batchRun struct {
	a          *Activities
	in         SendEmailsInput
	log        *zap.Logger
	comp       *composer
	srv        *serverState
	claimToken string

	claims  *claimer
	records *recorder
	sent    atomic.Int64
	stopped atomic.Pointer[stop]

	dialFailures atomic.Int32
	// composed and composeFailures count rendered and failed messages.
	composed        atomic.Int64
	composeFailures atomic.Int64
	serverErr       atomic.Pointer[error]
}

func (r *batchRun) stopReason() *stop { return r.stopped.Load() }

func (r *batchRun) stop(status, reason string) {
	r.stopped.CompareAndSwap(nil, &stop{status: status, reason: reason})
}

func (r *batchRun) execute(ctx context.Context, rcpts []store.Recipient) error {
	if len(rcpts) == 0 {
		return nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.records = newRecorder(r.a.DB, r.in.CampaignID, r.claimToken, r.in.ServerID)
	r.claims = newClaimer(r.a.DB, r.in.CampaignID, r.claimToken, r.in.ServerID, r.records)
	for range claimRunners {
		go r.claims.run(r.log)
	}
	go r.records.run(r.log)
	go r.watch(runCtx)

	work := make(chan store.Recipient)
	var wg sync.WaitGroup
	conns := min(r.srv.pool.Limit(), len(rcpts))
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.connectionLoop(runCtx, work)
		}()
	}
feed:
	for _, rc := range rcpts {
		if r.stopped.Load() != nil || r.serverErr.Load() != nil {
			break
		}
		select {
		case work <- rc:
		case <-runCtx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	r.claims.close()
	r.records.Close()
	if errp := r.serverErr.Load(); errp != nil {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("server %q is unavailable: %v", r.srv.srv.Name, *errp), ErrTypeServerUnavailable, *errp)
	}
	return ctx.Err()
}

// watch polls the campaign status, so pause and cancel stop new sends
// within statusPoll, runs the reputation guard, and heartbeats progress to
// Temporal.
func (r *batchRun) watch(ctx context.Context) {
	tick := time.NewTicker(statusPoll)
	defer tick.Stop()
	guard := r.a.newReputationGuard(r.in.CampaignID)
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		status, reason, err := r.a.DB.CampaignStatus(ctx, r.in.CampaignID)
		if err == nil && stopsSending(status) {
			r.stop(status, reason)
		} else if why, paused := guard.check(ctx, r.log); paused {
			r.stop(store.StatusPaused, why)
		}
		if i%4 == 0 {
			activity.RecordHeartbeat(ctx, r.sent.Load())
		}
	}
}

// connectionLoop sends recipients from work over one pooled connection.
func (r *batchRun) connectionLoop(ctx context.Context, work <-chan store.Recipient) {
	var conn *smtpsend.Conn
	defer func() {
		if conn != nil {
			r.srv.pool.Put(conn)
		}
	}()
	var buf []byte
	var pending []store.Outcome
	for rc := range work {
		if r.stopped.Load() != nil || ctx.Err() != nil {
			continue
		}
		conn, buf = r.sendOne(ctx, conn, rc, buf, &pending)
		if conn != nil && r.srv.pool.Over() {
			// This worker's share of the server's connections shrank (a
			// worker joined): give this one back and wait for a free slot.
			r.srv.pool.Put(conn)
			conn = nil
		}
		if len(pending) >= maxPending {
			r.records.Record(pending...)
			pending = nil
		}
	}
	r.records.Record(pending...)
}

// maxPending bounds the outcomes a connection collects before it stores
// them without waiting for its next claim.
const maxPending = 16

// maxComposeFailures is how many messages in a row may fail to render,
// with none rendered, before the run pauses the campaign.
const maxComposeFailures = 10

// maxConnectFailures is how many dials in a row may fail before the batch
// gives the server up and the workflow fails over.
const maxConnectFailures = 3

// sendOne sends to one recipient, reconnecting and backing off as the
// replies require, and returns the connection to use next. The outcome is
// appended to pending, and the next claim on this connection stores it in
// the same transaction. A killed worker therefore leaves at most one send
// per connection between the final dot and its stored outcome.
func (r *batchRun) sendOne(ctx context.Context, conn *smtpsend.Conn, rc store.Recipient, buf []byte,
	pending *[]store.Outcome) (*smtpsend.Conn, []byte) {
	msg, ok := r.compose(ctx, rc, buf, pending)
	if !ok {
		return conn, buf
	}
	buf = msg.Body
	reconnects, throttles := 0, 0
	for {
		if r.stopped.Load() != nil || ctx.Err() != nil {
			return conn, buf
		}
		var ready bool
		if conn, ready = r.prepare(ctx, conn); !ready {
			if conn == nil && r.serverErr.Load() == nil && r.stopped.Load() == nil && ctx.Err() == nil {
				continue // the dial failed; try again
			}
			return conn, buf
		}
		if r.stopped.Load() != nil || ctx.Err() != nil {
			return conn, buf // stopped while waiting for a send slot
		}
		v := r.attempt(ctx, conn, rc, msg, pending)
		if v.connectionDone || conn.Broken() {
			r.srv.pool.Put(conn)
			conn = nil
		}
		switch v.action {
		case actNotClaimed:
			return conn, buf
		case actConnectionLost:
			if reconnects < 2 {
				reconnects++
				continue
			}
		case actThrottled:
			throttles++
			r.a.throttle(ctx, r.log, r.in.CampaignID, r.in.ServerID, rc.SubscriberID, v)
			if throttles <= maxThrottleRetries {
				sleep(ctx, throttleBackoff(throttles))
				continue
			}
			// Left queued without an attempt charged; the batch runs again.
			return conn, buf
		case actQuota:
			reason := quotaReason(r.srv.srv.Name, v)
			r.stop(store.StatusPaused, reason)
			r.a.pauseCampaign(ctx, r.log, r.in.CampaignID, reason)
			return conn, buf
		case actDelivered:
			r.sent.Add(1)
		}
		*pending = append(*pending, outcomeFor(v, rc, r.in.MaxAttempts, time.Now()))
		return conn, buf
	}
}

// compose renders rc's message into buf. A subscriber who is no longer
// active, or a template that fails, gets an outcome in pending instead.
func (r *batchRun) compose(ctx context.Context, rc store.Recipient, buf []byte,
	pending *[]store.Outcome) (composed, bool) {
	if rc.Status != store.SubscriberActive {
		*pending = append(*pending, store.Outcome{SubscriberID: rc.SubscriberID, Status: store.SendSkipped,
			Attempts: rc.Attempts, Reply: "suppressed: subscriber is " + rc.Status})
		return composed{}, false
	}
	msg, err := r.comp.Compose(rc, buf[:0])
	if err != nil {
		*pending = append(*pending, store.Outcome{SubscriberID: rc.SubscriberID, Status: store.SendFailed,
			Attempts: rc.Attempts + 1, Reply: err.Error(), Reason: store.ReasonInvalid})
		// A template that fails for everyone would fail the whole list, so
		// the run pauses once it failed maxComposeFailures times in a row.
		if r.composeFailures.Add(1) >= maxComposeFailures && r.composed.Load() == 0 {
			reason := fmt.Sprintf("the campaign's template fails for every recipient so far (%v): "+
				"fix the template, then resume and re-dispatch the failed sends", err)
			r.stop(store.StatusPaused, reason)
			r.a.pauseCampaign(ctx, r.log, r.in.CampaignID, reason)
		}
		return composed{}, false
	}
	r.composed.Add(1)
	return msg, true
}

// attempt runs one SMTP transaction for rc. Its claim carries the outcomes
// collected in pending, and a claim that a reply about the sender voids goes
// back to the queue.
func (r *batchRun) attempt(ctx context.Context, conn *smtpsend.Conn, rc store.Recipient, msg composed,
	pending *[]store.Outcome) verdict {
	claimed := false
	res := conn.Send(msg.From, msg.To, msg.Body, func() error {
		ok := r.claims.Claim(ctx, rc.SubscriberID, *pending)
		*pending = nil
		if !ok {
			return errors.New("already claimed or finished elsewhere")
		}
		claimed = true
		return nil
	})
	v := classify(res)
	if claimed && releases(v.action) {
		if err := r.a.DB.ReleaseClaim(ctx, r.in.CampaignID, r.claimToken, rc.SubscriberID); err != nil {
			r.log.Error("releasing a claim failed; the send will become uncertain",
				zap.Int64("subscriber_id", rc.SubscriberID), zap.Error(err))
		}
	}
	r.a.observe(r.srv.srv.Name, v)
	return v
}

// prepare gets a connection when the last one was given back, and waits for
// a send token. It reports false when the run cannot send now: the server
// is unreachable, a quota is used up or the run stopped.
func (r *batchRun) prepare(ctx context.Context, conn *smtpsend.Conn) (*smtpsend.Conn, bool) {
	if conn == nil {
		var err error
		conn, err = r.srv.pool.Get(ctx)
		if err != nil {
			if n := r.dialFailures.Add(1); n >= maxConnectFailures {
				r.serverErr.CompareAndSwap(nil, &err)
				return nil, false
			}
			r.log.Warn("connect failed", zap.Error(err))
			sleep(ctx, time.Second)
			return nil, false
		}
		r.dialFailures.Store(0)
	}
	if err := r.srv.limiter.Wait(ctx); err != nil {
		if reason, ok := configuredQuotaReason(r.srv.srv.Name, err); ok {
			r.stop(store.StatusPaused, reason)
			r.a.pauseCampaign(ctx, r.log, r.in.CampaignID, reason)
		}
		return conn, false
	}
	return conn, true
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
