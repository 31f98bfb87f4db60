package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

// queueFixture is a fresh database with subscribers and lists to queue.
type queueFixture struct {
	db *store.DB
}

func newQueueFixture(t *testing.T) queueFixture {
	t.Helper()
	return queueFixture{db: testenv.DB(t)}
}

// subscribers inserts one subscriber per status and returns their ids in
// insertion order, which is also id order.
func (f queueFixture) subscribers(t *testing.T, statuses ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, status := range statuses {
		email := "s" + testenv.RandomSuffix() + "@example.com"
		var id int64
		err := f.db.Pool().QueryRow(ctx,
			`INSERT INTO subscribers (email, email_key, status) VALUES ($1, $1, $2) RETURNING id`,
			email, status).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// list creates a list with the given members.
func (f queueFixture) list(t *testing.T, members ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	l, err := f.db.CreateList(ctx, "list "+testenv.RandomSuffix())
	if err != nil {
		t.Fatal(err)
	}
	f.addMembers(t, l.ID, members...)
	return l.ID
}

func (f queueFixture) addMembers(t *testing.T, listID int64, members ...int64) {
	t.Helper()
	_, err := f.db.Pool().Exec(context.Background(),
		`INSERT INTO list_subscribers (list_id, subscriber_id) SELECT $1, unnest($2::bigint[])`, listID, members)
	if err != nil {
		t.Fatal(err)
	}
}

func (f queueFixture) campaign(t *testing.T, listIDs ...int64) int64 {
	t.Helper()
	if listIDs == nil {
		listIDs = []int64{}
	}
	c, err := f.db.CreateCampaign(context.Background(), store.Campaign{Name: "n", Subject: "s",
		FromEmail: "news@example.org", ListIDs: listIDs, ServerIDs: []int64{}, BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// sendRow is the part of a sends row that queuing sets.
type sendRow struct {
	SubscriberID int64
	BatchNo      int
	Status       string
	Reply        string
	Done         bool
}

func (f queueFixture) sends(t *testing.T, campaignID int64) []sendRow {
	t.Helper()
	rows, err := f.db.Pool().Query(context.Background(), `
		SELECT subscriber_id, batch_no, status, reply, done_at IS NOT NULL
		FROM sends WHERE campaign_id = $1 ORDER BY subscriber_id`, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sendRow
	for rows.Next() {
		var r sendRow
		if err := rows.Scan(&r.SubscriberID, &r.BatchNo, &r.Status, &r.Reply, &r.Done); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkCampaign checks the total and batches stored on the campaign row.
func (f queueFixture) checkCampaign(t *testing.T, campaignID int64, want store.QueueResult) {
	t.Helper()
	var total, batches int
	err := f.db.Pool().QueryRow(context.Background(),
		`SELECT total, batches FROM campaigns WHERE id = $1`, campaignID).Scan(&total, &batches)
	if err != nil {
		t.Fatal(err)
	}
	if total != want.Total {
		t.Errorf("campaign total = %d, want %d", total, want.Total)
	}
	if batches != want.Batches {
		t.Errorf("campaign batches = %d, want %d", batches, want.Batches)
	}
}

func queued(id int64, batch int) sendRow {
	return sendRow{SubscriberID: id, BatchNo: batch, Status: "queued"}
}

func skipped(id int64, batch int, status string) sendRow {
	return sendRow{SubscriberID: id, BatchNo: batch, Status: "skipped",
		Reply: "suppressed: subscriber is " + status, Done: true}
}

func checkRows(t *testing.T, got, want []sendRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d sends rows %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sends row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestQueueRecipientsOverlappingLists(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	s := f.subscribers(t, "active", "unsubscribed", "active", "bounced", "active", "complained", "active")
	// s[2] is in all three lists and s[4] in two. s[6] is in no list.
	a := f.list(t, s[0], s[2], s[4])
	b := f.list(t, s[1], s[2], s[3])
	c := f.list(t, s[2], s[4], s[5])
	campaign := f.campaign(t, c, a, b)

	res, err := f.db.QueueRecipients(ctx, campaign, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := store.QueueResult{Total: 6, Skipped: 3, Batches: 2}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	checkRows(t, f.sends(t, campaign), []sendRow{
		queued(s[0], 0),
		skipped(s[1], 0, "unsubscribed"),
		queued(s[2], 0),
		skipped(s[3], 0, "bounced"),
		queued(s[4], 1),
		skipped(s[5], 1, "complained"),
	})
	f.checkCampaign(t, campaign, want)
}

func TestQueueRecipientsSingleList(t *testing.T) {
	f := newQueueFixture(t)
	s := f.subscribers(t, "active", "active", "unsubscribed", "active", "active")
	// Members of another list must not leak into the campaign.
	f.list(t, s[0], s[1], s[2], s[3], s[4])
	only := f.list(t, s[4], s[1], s[2])
	campaign := f.campaign(t, only)

	res, err := f.db.QueueRecipients(context.Background(), campaign, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := store.QueueResult{Total: 3, Skipped: 1, Batches: 2}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	checkRows(t, f.sends(t, campaign), []sendRow{
		queued(s[1], 0),
		skipped(s[2], 0, "unsubscribed"),
		queued(s[4], 1),
	})
	f.checkCampaign(t, campaign, want)
}

func TestQueueRecipientsIdempotent(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	s := f.subscribers(t, "active", "bounced", "active")
	a := f.list(t, s...)
	b := f.list(t, s[1])
	campaign := f.campaign(t, a, b)

	first, err := f.db.QueueRecipients(ctx, campaign, 2)
	if err != nil {
		t.Fatal(err)
	}
	rows := f.sends(t, campaign)

	// A subscriber who joins a list after queuing, and one whose status
	// changes, leave the queue as it was.
	late := f.subscribers(t, "active")
	f.addMembers(t, a, late...)
	if _, err := f.db.SetSubscriberStatus(ctx, s[0], "unsubscribed", "test"); err != nil {
		t.Fatal(err)
	}
	second, err := f.db.QueueRecipients(ctx, campaign, 2)
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("second result = %+v, want %+v as the first", second, first)
	}
	want := store.QueueResult{Total: 3, Skipped: 1, Batches: 2}
	if first != want {
		t.Errorf("first result = %+v, want %+v", first, want)
	}
	checkRows(t, f.sends(t, campaign), rows)
	f.checkCampaign(t, campaign, want)
}

func TestQueueRecipientsBatchBoundaries(t *testing.T) {
	cases := []struct {
		members   int
		batchSize int
		batches   int
	}{
		{members: 6, batchSize: 3, batches: 2},
		{members: 7, batchSize: 3, batches: 3},
		{members: 5, batchSize: 1, batches: 5},
		{members: 4, batchSize: 10, batches: 1},
		{members: 0, batchSize: 3, batches: 0},
	}
	f := newQueueFixture(t)
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d_by_%d", tc.members, tc.batchSize), func(t *testing.T) {
			statuses := make([]string, tc.members)
			for i := range statuses {
				statuses[i] = "active"
			}
			s := f.subscribers(t, statuses...)
			campaign := f.campaign(t, f.list(t, s...))
			res, err := f.db.QueueRecipients(context.Background(), campaign, tc.batchSize)
			if err != nil {
				t.Fatal(err)
			}
			want := store.QueueResult{Total: tc.members, Batches: tc.batches}
			if res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			var rows []sendRow
			for i, id := range s {
				rows = append(rows, queued(id, i/tc.batchSize))
			}
			checkRows(t, f.sends(t, campaign), rows)
			f.checkCampaign(t, campaign, want)
		})
	}
}

func TestQueueRecipientsNoLists(t *testing.T) {
	f := newQueueFixture(t)
	f.list(t, f.subscribers(t, "active")...)
	campaign := f.campaign(t)
	res, err := f.db.QueueRecipients(context.Background(), campaign, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res != (store.QueueResult{}) {
		t.Errorf("result = %+v, want all zero", res)
	}
	if rows := f.sends(t, campaign); len(rows) != 0 {
		t.Errorf("got sends rows %v, want none", rows)
	}
}

// Rows that exist before the first queuing, written by something other than
// QueueRecipients, are kept and counted.
func TestQueueRecipientsKeepsExistingRows(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	s := f.subscribers(t, "active", "active", "unsubscribed")
	campaign := f.campaign(t, f.list(t, s...))
	_, err := f.db.Pool().Exec(ctx, `
		INSERT INTO sends (campaign_id, subscriber_id, batch_no, status, reply)
		VALUES ($1, $2, 5, 'delivered', '250 ok')`, campaign, s[1])
	if err != nil {
		t.Fatal(err)
	}

	res, err := f.db.QueueRecipients(ctx, campaign, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := store.QueueResult{Total: 3, Skipped: 1, Batches: 6}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	checkRows(t, f.sends(t, campaign), []sendRow{
		queued(s[0], 0),
		{SubscriberID: s[1], BatchNo: 5, Status: "delivered", Reply: "250 ok"},
		skipped(s[2], 1, "unsubscribed"),
	})
	f.checkCampaign(t, campaign, want)
}

func TestQueueRecipientsInvalidInput(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	campaign := f.campaign(t, f.list(t, f.subscribers(t, "active")...))
	if _, err := f.db.QueueRecipients(ctx, campaign, 0); err == nil {
		t.Error("batch size 0: got no error")
	}
	_, err := f.db.QueueRecipients(ctx, campaign+1000, 10)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing campaign: error = %v, want ErrNotFound", err)
	}
	if rows := f.sends(t, campaign); len(rows) != 0 {
		t.Errorf("got sends rows %v after the failed calls, want none", rows)
	}
}

// Concurrent calls queue the campaign once. Each waits for the lock on the
// campaign row and then finds the batches of the call before it.
func TestQueueRecipientsConcurrent(t *testing.T) {
	f := newQueueFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	statuses := make([]string, 50)
	for i := range statuses {
		statuses[i] = "active"
	}
	campaign := f.campaign(t, f.list(t, f.subscribers(t, statuses...)...))
	results := make(chan store.QueueResult, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			res, err := f.db.QueueRecipients(ctx, campaign, 7)
			results <- res
			errs <- err
		}()
	}
	want := store.QueueResult{Total: 50, Batches: 8}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
		if res := <-results; res != want {
			t.Errorf("result = %+v, want %+v", res, want)
		}
	}
	if rows := f.sends(t, campaign); len(rows) != 50 {
		t.Errorf("got %d sends rows, want 50", len(rows))
	}
}

// queuedCampaign queues a campaign of n active subscribers and returns its
// id and the subscribers.
func queuedCampaign(t *testing.T, f queueFixture, n int) (int64, []int64) {
	t.Helper()
	statuses := make([]string, n)
	for i := range statuses {
		statuses[i] = "active"
	}
	subs := f.subscribers(t, statuses...)
	camp := f.campaign(t, f.list(t, subs...))
	if _, err := f.db.QueueRecipients(context.Background(), camp, 1000); err != nil {
		t.Fatal(err)
	}
	return camp, subs
}

func TestSendsFollowDeletedCampaignsAndSubscribers(t *testing.T) {
	f := newQueueFixture(t)
	ctx := t.Context()
	camp, subs := queuedCampaign(t, f, 3)
	if _, err := f.db.Pool().Exec(ctx, `DELETE FROM subscribers WHERE id = $1`, subs[0]); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := f.db.Pool().QueryRow(ctx, `SELECT count(*) FROM sends WHERE campaign_id = $1`, camp).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 2 {
		t.Errorf("after deleting a subscriber the campaign has %d sends, want 2", left)
	}
	if _, err := f.db.Pool().Exec(ctx, `DELETE FROM campaigns WHERE id = $1`, camp); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Pool().QueryRow(ctx, `SELECT count(*) FROM sends WHERE campaign_id = $1`, camp).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("after deleting the campaign %d sends are left, want 0", left)
	}
}

func TestPendingRecipientsSkipsDeletedSubscriber(t *testing.T) {
	f := newQueueFixture(t)
	ctx := t.Context()
	camp, _ := queuedCampaign(t, f, 1)
	// A subscriber deleted while queuing ran leaves a row that no cascade
	// saw; it must come back as deleted, not vanish from the batch.
	if _, err := f.db.Pool().Exec(ctx, `INSERT INTO sends (campaign_id, subscriber_id, batch_no) VALUES ($1, -7, 0)`, camp); err != nil {
		t.Fatal(err)
	}
	rcpts, err := f.db.PendingRecipients(ctx, camp, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range rcpts {
		if r.SubscriberID == -7 {
			found = true
			if r.Status != "deleted" {
				t.Errorf("an orphan send has subscriber status %q, want deleted", r.Status)
			}
		}
	}
	if !found || len(rcpts) != 2 {
		t.Errorf("pending recipients %+v, want the queued one and the orphan", rcpts)
	}
}
