package store

import (
	"context"
	"fmt"
	"time"
)

// WorkerSeen records that a worker process is alive and which task queues
// it polls.
func (db *DB) WorkerSeen(ctx context.Context, instanceID, host string, pid int, queues []string) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO workers (instance_id, host, pid, task_queues) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance_id) DO UPDATE SET task_queues = EXCLUDED.task_queues, last_seen = now()`,
		instanceID, host, pid, queues)
	if err != nil {
		return fmt.Errorf("store: record worker %s: %w", instanceID, err)
	}
	return nil
}

// WorkerGone removes a worker that stops.
func (db *DB) WorkerGone(ctx context.Context, instanceID string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM workers WHERE instance_id = $1`, instanceID)
	return err
}

// LiveWorkers counts the workers seen within maxAge that poll queue.
func (db *DB) LiveWorkers(ctx context.Context, queue string, maxAge time.Duration) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		SELECT count(*) FROM workers
		WHERE $1 = ANY(task_queues) AND last_seen > now() - make_interval(secs => $2)`,
		queue, maxAge.Seconds()).Scan(&n)
	return n, err
}

// WorkerRank returns the rank of instanceID among the workers seen within
// maxAge that poll queue, ordered by instance id in byte order, and how
// many such workers there are. instanceID always counts as live, so a
// worker whose heartbeat row is missing or stale still gets a rank.
func (db *DB) WorkerRank(ctx context.Context, instanceID, queue string, maxAge time.Duration) (rank, workers int, err error) {
	err = db.pool.QueryRow(ctx, `
		WITH live AS (
			SELECT instance_id FROM workers
			WHERE $2 = ANY(task_queues) AND last_seen > now() - make_interval(secs => $3)
			UNION
			SELECT $1::text
		)
		SELECT count(*) FILTER (WHERE instance_id COLLATE "C" < $1::text COLLATE "C"), count(*) FROM live`,
		instanceID, queue, maxAge.Seconds()).Scan(&rank, &workers)
	if err != nil {
		return 0, 0, fmt.Errorf("store: rank worker %s on task queue %s: %w", instanceID, queue, err)
	}
	return rank, workers, nil
}
