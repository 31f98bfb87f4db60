package store_test

import (
	"testing"
	"time"

	"github.com/pacer-email/pacer/internal/testenv"
)

func TestWorkerRank(t *testing.T) {
	db := testenv.DB(t)
	ctx := t.Context()
	for _, id := range []string{"worker-b", "worker-d", "worker-a"} {
		if err := db.WorkerSeen(ctx, id, "host", 1, []string{"send", "campaigns"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.WorkerSeen(ctx, "worker-other", "host", 1, []string{"send-ses"}); err != nil {
		t.Fatal(err)
	}
	// worker-stale polls the queue but was last seen a minute ago.
	if err := db.WorkerSeen(ctx, "worker-stale", "host", 1, []string{"send"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx,
		`UPDATE workers SET last_seen = now() - interval '1 minute' WHERE instance_id = 'worker-stale'`); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, instance, queue string
		rank, workers         int
	}{
		{"first", "worker-a", "send", 0, 3},
		{"middle", "worker-b", "send", 1, 3},
		{"last", "worker-d", "send", 2, 3},
		{"missing row counts itself", "worker-c", "send", 2, 4},
		{"stale row counts itself", "worker-stale", "send", 3, 4},
		{"other queue", "worker-other", "send-ses", 0, 1},
		{"queue nobody polls", "worker-a", "empty", 0, 1},
		{"byte order", "Worker-z", "send", 0, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rank, workers, err := db.WorkerRank(ctx, c.instance, c.queue, 15*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if rank != c.rank {
				t.Errorf("rank of %s on %s = %d, want %d", c.instance, c.queue, rank, c.rank)
			}
			if workers != c.workers {
				t.Errorf("live workers on %s seen by %s = %d, want %d", c.queue, c.instance, workers, c.workers)
			}
		})
	}
}
