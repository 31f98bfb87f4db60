package api

import (
	"context"
	"sync"
	"time"

	"github.com/pacer-email/pacer/internal/store"
)

// countsTTL is how long a campaign's send counts are reused. Counting reads
// every send row of the campaign, so pages and watchers polling many times
// a second would otherwise load PostgreSQL during a send.
const countsTTL = 500 * time.Millisecond

// countsCache keeps each campaign's latest counts for countsTTL while its
// status stays the same, so a campaign that just ended is counted afresh.
type countsCache struct {
	mu      sync.Mutex
	entries map[int64]countsEntry
}

type countsEntry struct {
	at     time.Time
	status string
	counts store.Counts
}

func (c *countsCache) get(ctx context.Context, db *store.DB, id int64, status string) (store.Counts, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && e.status == status && time.Since(e.at) < countsTTL {
		return e.counts, nil
	}
	counts, err := db.Counts(ctx, id)
	if err != nil {
		return store.Counts{}, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[int64]countsEntry{}
	}
	c.entries[id] = countsEntry{at: time.Now(), status: status, counts: counts}
	c.mu.Unlock()
	return counts, nil
}
